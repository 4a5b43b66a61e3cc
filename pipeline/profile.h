/* profile.h: marketplace profiles — named presets kept as key files (models/profiles/NAME.ini).
 *
 * A profile is looked up by name among the profiles embedded in the binary, or read from a path. Loading
 * checks every stage parameter it sets against the range the stage declares, so a typo or an impossible
 * value is an error at start-up, not a surprise on the thousandth photo.
 */
#ifndef LR_PROFILE_H
#define LR_PROFILE_H

#include <glib.h>

struct _LrProfile {
	char *name;
	GKeyFile *keys;
};
typedef struct _LrProfile LrProfile;

/* Loads the profile NAME (embedded) or, when NAME contains a '/' or ends in ".ini", the key file at that
 * path. Returns the profile, or NULL with ERROR set (unknown name, bad syntax, unknown stage parameter,
 * value out of range). */
LrProfile *lr_profile_load(const char *name, GError **error);

/* Frees PROFILE. Accepts NULL. */
void lr_profile_free(LrProfile *profile);

/* GROUP.KEY as a number, DEF when absent or not a number. */
double lr_profile_double(const LrProfile *profile, const char *group, const char *key, double def);

/* GROUP.KEY as a string (caller frees), a copy of DEF when absent. */
char *lr_profile_string(const LrProfile *profile, const char *group, const char *key, const char *def);

/* GROUP.KEY as a ';'-separated list (caller frees with g_strfreev), or NULL when absent. */
char **lr_profile_list(const LrProfile *profile, const char *group, const char *key);

/* PROFILE's rendition sizes ([renditions] sizes, px on the longest side), the positive ones, largest
 * first, at most MAX of them into SIZES; returns how many. */
int lr_profile_sizes(const LrProfile *profile, int *sizes, int max);

/* The largest of PROFILE's rendition sizes; 2000 if none. */
int lr_profile_largest_size(const LrProfile *profile);

/* Names of the embedded profiles (caller frees with g_strfreev). */
char **lr_profile_names(void);

/* The reason texts for CODE in LANG ("en", "hi", ... or NULL for English): *MESSAGE and *ADVICE are set
 * to newly allocated strings (caller frees). Unknown codes get a generic text. */
void lr_reason_texts(const char *code, const char *lang, char **message, char **advice);

#endif
