/* evaluate.c: listready-evaluate, the scorer's report card on a labelled folder.
 *
 *   listready-evaluate [--profile NAME] [--threads N] FOLDER
 *
 * FOLDER holds photos and a labels.tsv (see pipeline/evaluate.h; listready-fit --out writes one from
 * generated degradations, and a folder of real photos labelled by hand works the same). Prints
 * accuracy, clean acceptance, precision and recall for each reason, the status confusion matrix, the
 * reasons each kind of photo drew and the photos it got wrong. Exit status 0 when it ran, 1 when the
 * folder or profile could not be read, 2 on a usage error.
 */
#include "pipeline/evaluate.h"
#include "pipeline/load.h"

int
main(int argc, char **argv)
{
	char *profile_name = NULL;
	int threads = 0;
	GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		  "Marketplace profile: a name or a .ini path (default: default)", "NAME" },
		{ "threads", 't', 0, G_OPTION_ARG_INT, &threads,
		  "Photos measured at once (default: one per processor)", "N" },
		{ NULL },
	};
	GError *error = NULL;

	if (lr_load_init(argv[0]))
		vips_error_exit(NULL);
	GOptionContext *context = g_option_context_new("FOLDER - score a labelled folder");
	g_option_context_add_main_entries(context, entries, NULL);
	gboolean ok = g_option_context_parse(context, &argc, &argv, &error);
	g_option_context_free(context);
	if (!ok || argc != 2) {
		fprintf(stderr, "listready-evaluate: %s\n",
			error ? error->message : "give exactly one FOLDER");
		g_clear_error(&error);
		return 2;
	}
	LrProfile *profile = lr_profile_load(profile_name ? profile_name : "default", &error);
	if (!profile) {
		fprintf(stderr, "listready-evaluate: %s\n", error->message);
		g_error_free(error);
		return 1;
	}
	LrEvaluation *ev = lr_evaluation_run(argv[1], profile, threads, &error);
	if (!ev) {
		fprintf(stderr, "listready-evaluate: %s\n", error->message);
		g_error_free(error);
		lr_profile_free(profile);
		return 1;
	}
	lr_evaluation_print(ev, stdout);
	lr_evaluation_free(ev);
	lr_profile_free(profile);
	g_free(profile_name);
	vips_shutdown();
	return 0;
}
