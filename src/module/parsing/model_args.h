/* Pure parsers of the commands that store, read and describe models and scripts: AI.MODELSTORE / AI.MODELSET,
 * AI.SCRIPTSTORE / AI.SCRIPTSET, AI.MODELGET, AI.SCRIPTGET and AI.INFO. They read `arg_view`s (argv[0] the
 * command, argv[1] the key), fill a plain struct whose strings point into the arguments, and return NULL or the
 * error reply text (RedisAI 1.2.7's), which is err->msg. No Redis calls and no key lookups: the handler looks
 * the key up after parsing. */
#ifndef LOCUS_MODULE_PARSING_MODEL_ARGS_H
#define LOCUS_MODULE_PARSING_MODEL_ARGS_H

#include <stdbool.h>

#include "../err.h"
#include "../model/model.h"
#include "args.h"

/* AI.MODELSTORE key backend device [TAG tag] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
 *               [INPUTS n name..] [OUTPUTS n name..] BLOB chunk..
 * AI.MODELSET (deprecated): names up to the next keyword, no counts. */
typedef struct model_store_args {
    model_spec spec; /* tag and names point into the arguments, device into `device` */
    char device[16];
    int blob_pos;    /* the first BLOB chunk; the chunks run to argc */
} model_store_args;

/* `names` and `lens` are the caller's buffers of argc entries, which spec's names point into. */
const char *parse_modelstore(int argc, const arg_view *argv, bool deprecated, const char **names, size_t *lens,
                             model_store_args *out, lc_err *err);

/* AI.SCRIPTSTORE key device [TAG tag] ENTRY_POINTS n fn.. SOURCE src
 * AI.SCRIPTSET key device [TAG tag] SOURCE src (deprecated: no entry points) */
typedef struct script_store_args {
    char device[16];
    arg_view tag;    /* ptr NULL when none */
    int first_entry; /* the entry points are argv[first_entry ..], nentry of them */
    int nentry;
    int source_pos;
} script_store_args;

const char *parse_scriptstore(int argc, const arg_view *argv, bool deprecated, script_store_args *out,
                              lc_err *err);

/* AI.MODELGET key [META] [BLOB] | AI.SCRIPTGET key [META] [SOURCE] (`script`): the parts to reply, both when
 * neither is named. The arity (2 to 4 arguments) is checked by the handler, before its key lookup. */
typedef struct get_args {
    bool meta, payload;
} get_args;

const char *parse_get(int argc, const arg_view *argv, bool script, get_args *out, lc_err *err);

/* AI.INFO key [RESETSTAT], for argc 2 or 3 (the handler answers argc 1, and other counts are arity errors):
 * true when the third argument is RESETSTAT. Any other third argument is ignored, as RedisAI 1.2.7 does (it
 * replies the run info), so there is no error. */
bool parse_info_reset(int argc, const arg_view *argv);

#endif
