/*
 * The models a serving process holds (see serving.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "model/versions.h"
#include "reco/serving.h"
#include "util/log.h"

/* Load version id (file) into m; 0, or a MODEL_E* code (logged). */
static int
load(struct serving *sv, const char *data_dir, int64_t id, const char *file,
    struct serving_model *m)
{
	struct model	*md;
	struct lists	*ls = NULL;
	char		 path[PATH_MAX], lpath[PATH_MAX];
	int		 rc;

	if (versions_paths(data_dir, file, path, lpath, sizeof(path)) == -1)
		rc = MODEL_EIO;
	else
		rc = model_load(path, &md);
	if (rc != 0) {
		log_warnx("%s: model %lld not loaded (%s)", sv->who,
		    (long long)id, model_strerror(rc));
		return (rc);
	}
	/* Its precomputed lists, if they load; fold-in serves without. */
	if (lists_load(lpath, &ls) == -1) {
		log_warnx("%s: model %lld without precomputed lists", sv->who,
		    (long long)id);
		ls = NULL;
	}
	model_free(m->md);
	lists_free(m->ls);
	m->md = md;
	m->ls = ls;
	m->id = id;
	return (0);
}

static void
drop(struct serving_model *m)
{
	model_free(m->md);
	lists_free(m->ls);
	memset(m, 0, sizeof(*m));
}

/* The arms' models: each arm with a version of its own gets it loaded. */
static void
refresh_arms(struct serving *sv, struct store *s, const char *data_dir)
{
	struct serving_model	*m;
	char			 file[256];
	int			 i;

	for (i = 0; i < sv->exp.narms; i++) {
		m = &sv->arm[i];
		if (sv->exp.arm[i].model_id == 0 ||
		    sv->exp.arm[i].model_id == m->id ||
		    sv->exp.arm[i].model_id == sv->arm_failed[i])
			continue;
		/* Two arms of one version map one file: shared pages. */
		if (versions_file(s->db, sv->exp.arm[i].model_id, file,
		    sizeof(file)) != 1 || load(sv, data_dir,
		    sv->exp.arm[i].model_id, file, m) != 0) {
			/* Tried once: not again every second. */
			drop(m);
			sv->arm_failed[i] = sv->exp.arm[i].model_id;
		}
	}
	for (; i < EXPERIMENT_ARMS_MAX; i++) {
		drop(&sv->arm[i]);
		sv->arm_failed[i] = 0;
	}
}

void
serving_refresh(struct serving *sv, struct store *s, const char *data_dir)
{
	struct experiment	 e;
	char			 file[256];
	int64_t			 id;
	int			 i, rc;

	if (store_current_model(s, &id, file, sizeof(file)) == 1 &&
	    id != sv->cur.id && id != sv->failed) {
		if (load(sv, data_dir, id, file, &sv->cur) != 0) {
			log_warnx("%s: still serving model %lld", sv->who,
			    (long long)sv->cur.id);
			sv->failed = id;
		} else
			log_info("%s: serving model %lld (%s)", sv->who,
			    (long long)id, model_algo_name(sv->cur.md->algo));
	}
	if ((rc = experiment_running(s->db, &e)) == -1)
		return;
	if (rc == 0) {
		if (sv->has_exp)
			log_info("%s: experiment %lld over", sv->who,
			    (long long)sv->exp.id);
		sv->has_exp = 0;
		for (i = 0; i < EXPERIMENT_ARMS_MAX; i++) {
			drop(&sv->arm[i]);
			sv->arm_failed[i] = 0;
		}
		return;
	}
	if (sv->has_exp && e.id != sv->exp.id)
		memset(sv->arm_failed, 0, sizeof(sv->arm_failed));
	if (!sv->has_exp || e.id != sv->exp.id)
		log_info("%s: experiment %lld (%s) with %d arms", sv->who,
		    (long long)e.id, e.name, e.narms);
	sv->exp = e;
	sv->has_exp = 1;
	refresh_arms(sv, s, data_dir);
}

void
serving_pick(const struct serving *sv, int64_t user, struct serving_pick *p)
{
	const struct serving_model	*m = &sv->cur;
	int				 a;

	p->arm[0] = '\0';
	if (sv->has_exp) {
		a = experiment_arm_of(&sv->exp, user);
		if (sv->exp.arm[a].model_id == 0 || sv->arm[a].md != NULL)
			experiment_arm_label(&sv->exp, a, p->arm,
			    sizeof(p->arm));
		if (sv->exp.arm[a].model_id != 0 && sv->arm[a].md != NULL)
			m = &sv->arm[a];
	}
	p->id = m->md != NULL ? m->id : 0;
	p->md = m->md;
	p->ls = m->ls;
}

void
serving_free(struct serving *sv)
{
	int	i;

	drop(&sv->cur);
	for (i = 0; i < EXPERIMENT_ARMS_MAX; i++) {
		drop(&sv->arm[i]);
		sv->arm_failed[i] = 0;
	}
	sv->has_exp = 0;
	sv->failed = 0;
}
