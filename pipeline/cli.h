/* cli.h: the sub-commands of the listready command line. Each takes the arguments after its name
 * (argv[0] is the sub-command) and returns the process exit status. */
#ifndef LR_CLI_H
#define LR_CLI_H

#include <glib.h>

#include "pipeline/store.h"

#define LR_DEFAULT_STORE "listready-store"

/* Parses ARGV with ENTRIES, USAGE and SUMMARY for --help; on error prints it and returns FALSE. */
gboolean lr_cli_parse(const char *usage, const char *summary, GOptionEntry *entries, int *argc,
		      char ***argv);

/* Opens the store in DIR (NULL for ./LR_DEFAULT_STORE); on error prints it and returns NULL. */
LrStore *lr_cli_open_store(const char *dir);

int lr_cli_process(int argc, char **argv);
int lr_cli_explain(int argc, char **argv);
int lr_cli_profiles(int argc, char **argv);
int lr_cli_run(int argc, char **argv);
int lr_cli_status(int argc, char **argv);

#endif
