// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The pipeline: text → tokens → AST → resolved rules → classes → tables. */
#include <errno.h>
#include <string.h>

#include "compile.h"
#include "diag.h"
#include "lower.h"
#include "sha256.h"
#include "util.h"

static bool only_blanks(const char *text, size_t len)
{
	for (size_t i = fwc_bom_len(text, len); i < len; i++) {
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			return false;
	}
	return true;
}

static const struct fwc_compile_opts default_opts;
unsigned int fwc_last_warnings;

/* Connection tracking options for the datapath (bpf/ct.h). */
static void state_meta(const struct fwc_policy *pol, struct fwc_meta *m)
{
	if (pol->state_loose)
		m->flags |= FWC_META_STATE_LOOSE;
	for (int i = 0; i < FWC_TO_COUNT; i++)
		m->timeout[i] = pol->timeout[i];
}

int fwc_compile(const char *name, const char *text, size_t len,
		const struct fwc_compile_opts *opts, struct fwc_tables **out,
		struct fwc_policy **pol_out)
{
	struct fwc_src src = { name, text, len };
	struct fwc_policy *pol = xcalloc(1, sizeof(*pol));
	struct fwc_tables *t = NULL;
	struct fwc_classes c;
	struct fwc_lower lw;
	struct fwc_diag diag;
	struct fwc_ast ast;
	const char *nul;
	int err = -EINVAL;

	fwc_diag_init(&diag, &src, opts ? opts->err : NULL);
	diag.quiet_warnings = !(opts && opts->warnings);
	diag.json = opts && opts->json;
	*out = NULL;
	if (only_blanks(text, len)) {
		fwc_error_file(&diag, "empty policy: expected statements "
				      "such as 'zone', 'allow', 'deny'");
		free(pol);
		return -EINVAL;
	}
	if (len >= 4 && !memcmp(text, "FWCA", 4)) {
		fwc_error_file(&diag, "a compiled artifact (fwc compile -o), "
				      "not policy source: fwc load and fwc "
				      "test take it, the rest needs the "
				      "source");
		free(pol);
		return -EINVAL;
	}
	if ((nul = memchr(text, '\0', len))) {
		fwc_error(&diag, fwc_pos_at(&src, (size_t)(nul - text)),
			  "a NUL byte: binary data, not a policy file");
		free(pol);
		return -EINVAL;
	}
	fwc_parse(&src, &diag, &ast);
	if (!diag.errors)
		fwc_resolve(&ast, &diag, pol);
	fwc_ast_free(&ast);
	if (diag.errors)
		goto out;
	pol->name = xstrdup(name);
	fwc_sha256(text, len, pol->sha256);
	fwc_classes_build(pol, &c);
	t = xcalloc(1, sizeof(*t));
	err = fwc_tables_build(pol, &c, opts ? opts : &default_opts, t, &lw);
	if (!err)
		state_meta(pol, &t->meta);
	if (err == -E2BIG)
		fwc_error_file(&diag,
			       "the policy needs more than %u table "
			       "entries (too many distinct zone pairs "
			       "or services)",
			       64u << 20);
	else if (!err && opts && opts->warnings)
		fwc_analyze(pol, &c, t, &lw,
			    opts->wide_ports ? opts->wide_ports :
					       FWC_WIDE_PORTS,
			    &diag);
	fwc_lower_free(&lw);
	fwc_classes_free(&c);
out:
	fwc_diag_finish(&diag);
	fwc_last_warnings = diag.warnings;
	if (err) {
		fwc_tables_free(t);
		fwc_policy_destroy(pol);
		return err;
	}
	*out = t;
	if (pol_out)
		*pol_out = pol;
	else
		fwc_policy_destroy(pol);
	return 0;
}

void fwc_policy_destroy(struct fwc_policy *pol)
{
	if (!pol)
		return;
	fwc_policy_free(pol);
	free(pol);
}

int fwc_compile_string(const char *name, const char *text, size_t len,
		       const struct fwc_compile_opts *opts,
		       struct fwc_tables **out)
{
	return fwc_compile(name, text, len, opts, out, NULL);
}

int fwc_compile_file(const char *path, const struct fwc_compile_opts *opts,
		     struct fwc_tables **out)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *text;
	size_t len;
	int err = fwc_read_file(path, &text, &len);

	if (err) {
		FILE *f = opts && opts->err ? opts->err : stderr;

		if (opts && opts->json) {
			fputs("{\"file\": ", f);
			fwc_json_str(f, name);
			fprintf(f,
				", \"line\": 0, \"col\": 0, \"severity\": "
				"\"error\", \"kind\": \"error\", \"rules\": [], "
				"\"message\": \"cannot read policy: %s\"}",
				fwc_read_error(err));
		} else {
			fprintf(f, "%s: error: cannot read policy: %s\n", name,
				fwc_read_error(err));
		}
		return err;
	}
	err = fwc_compile(name, text, len, opts, out, NULL);
	free(text);
	return err;
}

int fwc_tables_open(const char *path, const struct fwc_compile_opts *opts,
		    struct fwc_tables **out)
{
	/* Only a regular file is opened twice (a FIFO could block). */
	if (fwc_file_regular(path) && fwc_artifact_probe(path))
		return fwc_artifact_read(path, out);
	return fwc_compile_file(path, opts, out);
}
