/* cli_review.h: the curator and catalog commands — serve, review, token, export. Same conventions as
 * cli.h: each takes the arguments after its name and returns the process exit status (0 done, 1 failed,
 * 2 usage error). */
#ifndef LR_CLI_REVIEW_H
#define LR_CLI_REVIEW_H

int lr_cli_serve(int argc, char **argv);
int lr_cli_review(int argc, char **argv);
int lr_cli_token(int argc, char **argv);
int lr_cli_export(int argc, char **argv);

#endif
