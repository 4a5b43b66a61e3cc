/* main.c: the listready command — dispatch to a sub-command. */
#include "pipeline/cli.h"
#include "pipeline/cli_review.h"
#include "pipeline/load.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "process", lr_cli_process, "run photos through the pipeline into the store" },
	{ "explain", lr_cli_explain, "analyse one photo without a store; --dump writes stage images" },
	{ "run", lr_cli_run, "watch an inbox: the daemon with its worker pool" },
	{ "status", lr_cli_status, "counts by status, queue depth, throughput, quarantined photos" },
	{ "profiles", lr_cli_profiles, "list marketplace profiles and stage parameters" },
	{ "serve", lr_cli_serve, "serve the review page and the catalog API on their own" },
	{ "review", lr_cli_review, "review photos: list, show, approve, reject, reprocess" },
	{ "token", lr_cli_token, "create an API token for a curator, a catalog tool or an admin" },
	{ "export", lr_cli_export, "write accepted photos as a folder for a marketplace upload" },
};

static void
usage(FILE *to)
{
	fprintf(to, "Usage: listready COMMAND [OPTION...]\n\n"
		    "Turns phone photos of products into marketplace-ready catalog images.\n\n"
		    "Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(to, "\n`listready COMMAND --help` explains each command. Version " LR_VERSION ".\n");
}

int
main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C"); /* JSON and profile numbers use '.' whatever the locale */
	if (lr_load_init(argv[0]))
		vips_error_exit("cannot start libvips");

	int status = 2;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		status = argc < 2 ? 2 : 0;
	} else if (!strcmp(argv[1], "--version")) {
		printf("listready " LR_VERSION "\n");
		status = 0;
	} else {
		size_t i;
		for (i = 0; i < G_N_ELEMENTS(commands); i++)
			if (!strcmp(argv[1], commands[i].name))
				break;
		if (i < G_N_ELEMENTS(commands))
			status = commands[i].run(argc - 1, argv + 1);
		else {
			fprintf(stderr, "listready: unknown command \"%s\"\n\n", argv[1]);
			usage(stderr);
		}
	}
	vips_shutdown();
	return status;
}
