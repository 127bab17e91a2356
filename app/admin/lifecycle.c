/*
 * The dashboard's model lifecycle: the versions and training runs, train
 * now, roll back, pin and unpin a version, and
 * start, watch and stop experiments (model/versions.h,
 * telemetry/experiment.h), withdraw a movie from every list and bring it
 * back (reco/rules.h).  Reads on the worker's connection; every change
 * in a task with a connection of the models role, recorded in
 * lifecycle_log under the admin's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "model/versions.h"
#include "reco/rules.h"
#include "server/kbuf.h"
#include "telemetry/experiment.h"
#include "util/urlenc.h"

#define ACT_USE		1
#define ACT_PIN		2
#define ACT_UNPIN	3

/* Answer a lifecycle job: {"ok":true,"message":...}, or the error. */
static void
lifecycle_done(struct http_request *req, struct job *j)
{
	struct kore_buf	b;

	if (j->status != 200) {
		adm_error(req, j->status != 0 ? j->status : 500, j->msg);
		return;
	}
	kore_buf_init(&b, 256);
	kore_buf_appendf(&b, "{\"ok\":true,\"id\":%lld,\"message\":",
	    (long long)j->id);
	kbuf_str(&b, j->msg);
	adm_json_close(req, 200, &b);
}

/* The text of a lifecycle error: 409 (a conflict), never a 500. */
static int
refused(struct job *j, const char *err)
{
	j->status = 409;
	snprintf(j->msg, sizeof(j->msg), "%.255s", err);
	return (0);
}

static int
model_work(struct job *j, sqlite3 *db)
{
	char	err[256];
	int	rc;

	if (j->reset == ACT_USE)
		rc = versions_use(db, adm.ctx.cfg->data_dir, j->id, j->who,
		    j->text[0] != '\0' ? j->text : NULL, err, sizeof(err));
	else
		rc = versions_pin(db, j->id, j->reset == ACT_PIN, j->who, err,
		    sizeof(err));
	if (rc == -1)
		return (refused(j, err));
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg), "version %lld %s", (long long)j->id,
	    j->reset == ACT_USE ? "is current; every worker switches within "
	    "a second" : j->reset == ACT_PIN ? "pinned" : "unpinned");
	return (0);
}

/* POST /api/models/use|pin|unpin: version=N[&why=...]. */
int
adm_model_action(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	char		 body[BODY_MAX], v[24], *end;

	j = adm_job_new(req, s, model_work, lifecycle_done);
	j->role = STORE_ROLE_MODELS;
	j->reset = strcmp(req->path, "/api/models/use") == 0 ? ACT_USE :
	    strcmp(req->path, "/api/models/pin") == 0 ? ACT_PIN : ACT_UNPIN;
	if (adm_body(req, body, sizeof(body)) == -1 ||
	    adm_form(body, "version", v, sizeof(v)) == -1 ||
	    (j->id = strtoll(v, &end, 10)) <= 0 || *end != '\0') {
		kore_free(j);
		adm_error(req, 400, "expected version=N");
		return (KORE_RESULT_OK);
	}
	if (adm_form(body, "why", j->text, sizeof(j->text)) == -1)
		j->text[0] = '\0';
	return (adm_job_start(req, j));
}

/* GET /api/models: every version, the training runs, the log. */
int
adm_models(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 8192);
	kore_buf_appendf(&b, "{\"train_interval_min\":%d,\"models\":",
	    adm.ctx.cfg->train_interval_min);
	(void)adm_rows(&b, "SELECT m.id, m.algo, m.params, m.file, "
	    "m.created_ms, m.train_seconds, m.interactions, m.users, m.items, "
	    "m.data_from_ms, m.data_to_ms, m.binary_version, m.eval_recall20, "
	    "m.eval_ndcg20, m.eval_coverage, m.eval_users, m.current, m.gate, "
	    "m.gate_reason, m.baseline_id, m.baseline_recall20, m.pinned, "
	    "m.collected_ms, (SELECT trigger FROM training_runs r WHERE r.model_id = m.id) "
	    "AS trigger, c.lists, c.followed FROM models m LEFT JOIN "
	    "(SELECT model_version, SUM(lists) AS lists, SUM(followed) AS "
	    "followed FROM reco_stats WHERE source = 'served' GROUP BY "
	    "model_version) c ON c.model_version = m.id ORDER BY m.id DESC",
	    NULL, 0);
	kore_buf_appendf(&b, ",\"runs\":");
	(void)adm_rows(&b, "SELECT id, started_ms, finished_ms, trigger, "
	    "status, model_id, message FROM training_runs ORDER BY id DESC "
	    "LIMIT 50", NULL, 0);
	kore_buf_appendf(&b, ",\"log\":");
	(void)adm_rows(&b, "SELECT id, ts, who, action, model_id, "
	    "experiment_id, detail FROM lifecycle_log ORDER BY id DESC LIMIT "
	    "100", NULL, 0);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

/* POST /api/train: a training now (the gate decides what it becomes). */
int
adm_train(struct http_request *req, const struct auth_session *s)
{
	return (adm_job_start(req, adm_job_new(req, s, adm_train_work,
	    adm_train_done)));
}

/* GET /api/experiments: the newest ones, the first with its series. */
int
adm_experiments(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	 b;
	FILE		*fp;
	char		*text = NULL;
	size_t		 len = 0;
	int		 rc = -1;

	(void)s;
	if ((fp = open_memstream(&text, &len)) != NULL) {
		rc = experiment_json(adm.db, 0, 20, fp);
		if (fclose(fp) != 0)
			rc = -1;
	}
	if (rc == -1) {
		free(text);
		adm_error(req, 500, "cannot read the experiments");
		return (KORE_RESULT_OK);
	}
	/* Its object, with the versions an arm may name. */
	kore_buf_init(&b, len + 4096);
	kore_buf_append(&b, text, len > 2 ? len - 2 : 0);
	free(text);
	kore_buf_appendf(&b, ",\"versions\":");
	(void)adm_rows(&b, "SELECT id, algo, gate, eval_recall20, current, "
	    "pinned FROM models WHERE collected_ms IS NULL ORDER BY id DESC",
	    NULL, 0);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}

static int
start_work(struct job *j, sqlite3 *db)
{
	struct experiment	e;
	char			err[256];

	memcpy(&e, j->value, sizeof(e));
	if (experiment_start(db, &e, j->who, err, sizeof(err)) == -1)
		return (refused(j, err));
	j->id = e.id;
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg), "experiment %lld (%s) started",
	    (long long)e.id, e.name);
	return (0);
}

/*
 * POST /api/experiments: name=..&arms=control=current:50,cand=7:50
 * [&max_hours=..&min_lists=..&max_p99_ms=..&auto_promote=1].
 */
int
adm_experiment_start(struct http_request *req, const struct auth_session *s)
{
	struct experiment	 e;
	struct job		*j;
	char			 body[BODY_MAX], arms[512], v[32], err[256];
	char			*p, *tok, *save;

	typedef char fits[sizeof(e) <= sizeof(j->value) ? 1 : -1];
	(void)sizeof(fits);
	memset(&e, 0, sizeof(e));
	e.max_hours = 168;
	e.min_lists = 200;
	e.max_p99_ms = 20;
	if (adm_body(req, body, sizeof(body)) == -1 ||
	    adm_form(body, "name", e.name, sizeof(e.name)) == -1 ||
	    adm_form(body, "arms", arms, sizeof(arms)) == -1) {
		adm_error(req, 400, "expected name=...&arms=NAME=VERSION:PCT,...");
		return (KORE_RESULT_OK);
	}
	for (p = arms; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL)
		if (e.narms == EXPERIMENT_ARMS_MAX ||
		    experiment_parse_arm(tok, &e.arm[e.narms++]) == -1) {
			adm_error(req, 400, "an arm is NAME=VERSION:PERCENT or "
			    "NAME=current:PERCENT");
			return (KORE_RESULT_OK);
		}
	if (adm_form(body, "max_hours", v, sizeof(v)) == 0)
		e.max_hours = strtod(v, NULL);
	if (adm_form(body, "min_lists", v, sizeof(v)) == 0)
		e.min_lists = strtoll(v, NULL, 10);
	if (adm_form(body, "max_p99_ms", v, sizeof(v)) == 0)
		e.max_p99_ms = strtod(v, NULL);
	e.auto_promote = adm_form(body, "auto_promote", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0;
	if (experiment_check(&e, err, sizeof(err)) == -1) {
		adm_error(req, 400, err);
		return (KORE_RESULT_OK);
	}
	j = adm_job_new(req, s, start_work, lifecycle_done);
	j->role = STORE_ROLE_MODELS;
	memcpy(j->value, &e, sizeof(e));
	return (adm_job_start(req, j));
}

static int
stop_work(struct job *j, sqlite3 *db)
{
	struct experiment	 e;
	char			 err[256], why[600];
	int64_t			 model = 0;
	int			 i, rc;

	if ((rc = experiment_running(db, &e)) != 1)
		return (rc == 0 ? refused(j, "no experiment is running") : -1);
	snprintf(why, sizeof(why), "stopped by %s", j->who);
	if (j->text[0] != '\0') {
		for (i = 0; i < e.narms && strcmp(e.arm[i].name, j->text) != 0;
		    i++)
			;
		if (i == e.narms || e.arm[i].model_id == 0)
			return (refused(j, "no such arm with a version of its "
			    "own"));
		model = e.arm[i].model_id;
		snprintf(why, sizeof(why), "stopped by %s, arm %.24s (version "
		    "%lld) promoted", j->who, j->text, (long long)model);
	}
	if (experiment_stop(db, adm.ctx.cfg->data_dir, e.id, model ?
	    "promoted" : "stopped", why, model, j->who, err, sizeof(err)) ==
	    -1)
		return (refused(j, err));
	j->id = e.id;
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg), "%.250s", why);
	return (0);
}

/* POST /api/experiments/stop [promote=ARM]. */
int
adm_experiment_stop(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	char		 body[BODY_MAX];

	j = adm_job_new(req, s, stop_work, lifecycle_done);
	j->role = STORE_ROLE_MODELS;
	body[0] = '\0';
	if (adm_body(req, body, sizeof(body)) == -1)
		body[0] = '\0';
	/* A promote= that does not read is no plain stop: nothing is done. */
	if (adm_form(body, "promote", j->text, sizeof(j->text)) == -1) {
		j->text[0] = '\0';
		if (strstr(body, "promote=") != NULL) {
			kore_free(j);
			adm_error(req, 400, "promote: an arm's name");
			return (KORE_RESULT_OK);
		}
	}
	return (adm_job_start(req, j));
}

static int
withdraw_work(struct job *j, sqlite3 *db)
{
	char	err[512];

	if (rules_withdraw(db, j->text, j->reset, j->who, j->value[0] != '\0' ?
	    j->value : NULL, err, sizeof(err)) == -1) {
		if (strncmp(err, "no movie", 8) == 0) {
			j->status = 404;
			snprintf(j->msg, sizeof(j->msg), "%.255s", err);
			return (0);
		}
		return (refused(j, err));
	}
	j->status = 200;
	snprintf(j->msg, sizeof(j->msg), "%.150s %s", j->text, j->reset ?
	    "is withdrawn from every list (within a second)" :
	    "is back in the lists");
	return (0);
}

/* POST /api/withdrawn/withdraw|restore: movie=SLUG[&why=...]. */
int
adm_withdraw(struct http_request *req, const struct auth_session *s)
{
	struct job	*j;
	char		 body[BODY_MAX];

	j = adm_job_new(req, s, withdraw_work, lifecycle_done);
	j->role = STORE_ROLE_MODELS;
	j->reset = strcmp(req->path, "/api/withdrawn/withdraw") == 0;
	if (adm_body(req, body, sizeof(body)) == -1 ||
	    adm_form(body, "movie", j->text, sizeof(j->text)) == -1 ||
	    j->text[0] == '\0') {
		kore_free(j);
		adm_error(req, 400, "expected movie=MOVIEID (as the stream "
		    "spells it)");
		return (KORE_RESULT_OK);
	}
	/* A reason that cannot be read is refused, not dropped. */
	switch (urlenc_get(body, "why", j->value, sizeof(j->value))) {
	case -1:
		kore_free(j);
		adm_error(req, 400, "why: too long or badly encoded");
		return (KORE_RESULT_OK);
	case 0:
		j->value[0] = '\0';
		break;
	}
	return (adm_job_start(req, j));
}

/* GET /api/withdrawn: the withdrawn movies, newest first. */
int
adm_withdrawn(struct http_request *req, const struct auth_session *s)
{
	struct kore_buf	b;

	(void)s;
	kore_buf_init(&b, 4096);
	kore_buf_appendf(&b, "{\"withdrawn\":");
	(void)adm_rows(&b, "SELECT m.slug AS id, m.title, m.year, w.since_ms, "
	    "w.who, w.why FROM withdrawn w JOIN movies m ON m.id = "
	    "w.movie_id ORDER BY w.since_ms DESC, m.slug", NULL, 0);
	adm_json_close(req, 200, &b);
	return (KORE_RESULT_OK);
}
