/*
 * tilldesk - a support desk for retail point-of-sale equipment.
 */
#include <sys/stat.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* The database, its WAL and the backups hold cashiers' messages: ours alone. */
	umask(077);
	return cli_main(argc, argv, stdout, stderr);
}
