/* cli.h: the sub-commands of the listready command line. Each takes the arguments after its name
 * (argv[0] is the sub-command) and returns the process exit status. */
#ifndef LR_CLI_H
#define LR_CLI_H

int lr_cli_process(int argc, char **argv);
int lr_cli_explain(int argc, char **argv);
int lr_cli_profiles(int argc, char **argv);
int lr_cli_run(int argc, char **argv);
int lr_cli_status(int argc, char **argv);

#endif
