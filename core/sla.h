/*
 * sla.h - the old name of core/sla_clock.h, kept only because storage/sla.h
 * still includes it; it goes when storage/sla.c is renamed (issue 12).
 */
#include "core/sla_clock.h"
