/*
 * Unit tests for the pipeline loop and the sink state machine, with an
 * in-memory source and sink: message boundaries, head parsing, chunking,
 * mid-message failures (abort), skipped folders, checkpoints and the
 * fatal path.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "pipeline.h"
#include "test.h"

/* ---- a source over an array of messages ---- */

struct fake_msg {
	const char *bytes;
	int next_status;	/* what next() returns for this entry */
	size_t fail_after;	/* read() returns fail_status after this many */
	int fail_status;
	int64_t size;		/* size announced at next() (-1 unknown) */
};

struct fake_src {
	const struct fake_msg *msgs;
	size_t n, i, pos;
	char key[32];
};

static int
fs_next(struct source *s, struct msg *m)
{
	struct fake_src *f = s->data;

	if (f->i >= f->n)
		return MS_EOF;
	const struct fake_msg *fm = &f->msgs[f->i++];
	f->pos = 0;
	snprintf(f->key, sizeof(f->key), "%zu", f->i);
	m->folder = "INBOX";
	m->key = f->key;
	m->size = fm->size;
	if (fm->next_status != MS_OK)
		return err_set(&s->err, fm->next_status, 0, "broken %zu", f->i);
	return MS_OK;
}

static int
fs_read(struct source *s, void *buf, size_t len, size_t *got)
{
	struct fake_src *f = s->data;
	const struct fake_msg *fm = &f->msgs[f->i - 1];
	size_t total = strlen(fm->bytes);

	if (fm->fail_status != MS_OK && f->pos >= fm->fail_after)
		return err_set(&s->err, fm->fail_status, 0, "cut at %zu",
		    f->pos);
	if (len > 7)
		len = 7;	/* tiny reads: exercise the chunk loop */
	if (fm->fail_status != MS_OK && f->pos + len > fm->fail_after)
		len = fm->fail_after - f->pos;
	if (len > total - f->pos)
		len = total - f->pos;
	memcpy(buf, fm->bytes + f->pos, len);
	f->pos += len;
	*got = len;
	return MS_OK;
}

static const struct source_ops fake_source = {
	.name = "fake", .next = fs_next, .read = fs_read,
};

/* ---- a sink that records what it was given ---- */

struct fake_sink {
	struct buf out;		/* "<begin:from_addr>bytes<end>" ... */
	int begins, ends, aborts, checkpoints;
	size_t msg_start;
	int fail_msg;		/* fail writes of the Nth message */
	int fail_status;
	int writes;
};

static int
fk_begin(struct sink *k, const struct msg *m)
{
	struct fake_sink *f = k->data;

	f->begins++;
	f->msg_start = f->out.len;
	buf_addf(&f->out, "[%s|", m->head->from_addr ? m->head->from_addr :
	    "-");
	return MS_OK;
}

static int
fk_write(struct sink *k, const void *b, size_t n)
{
	struct fake_sink *f = k->data;

	f->writes++;
	if (f->begins == f->fail_msg)
		return err_set(&k->err, f->fail_status, 28, "disk full");
	buf_add(&f->out, b, n);
	return MS_OK;
}

static int
fk_end(struct sink *k, const unsigned char sha[32])
{
	struct fake_sink *f = k->data;
	char hex[9];

	hash_hex(sha, 4, hex);
	buf_addf(&f->out, "|%s]", hex);
	buf_adds(&k->ref.file, "f");
	f->ends++;
	return MS_OK;
}

static void
fk_abort(struct sink *k)
{
	struct fake_sink *f = k->data;

	buf_setlen(&f->out, f->msg_start);
	f->aborts++;
}

static int
fk_checkpoint(struct sink *k)
{
	((struct fake_sink *)k->data)->checkpoints++;
	return MS_OK;
}

static const struct sink_ops fake_sink_ops = {
	.name = "fake", .begin = fk_begin, .write = fk_write, .end = fk_end,
	.abort = fk_abort, .checkpoint = fk_checkpoint,
};

static int committed_calls, recorded_calls, problems;

static int
on_recorded(void *arg, const struct msg *m, const unsigned char sha[32],
    const struct sink_ref *ref)
{
	(void)arg;
	(void)sha;
	(void)ref;
	CHECK(m->size >= 0);
	recorded_calls++;
	return 0;
}

static int
on_committed(void *arg)
{
	(void)arg;
	committed_calls++;
	return 0;
}

static void
on_problem(void *arg, int status, const char *what, const char *text)
{
	(void)arg;
	(void)status;
	(void)what;
	(void)text;
	problems++;
}

static int
run(const struct fake_msg *msgs, size_t n, struct fake_sink *fk,
    struct pipeline *p, unsigned ckpt_every)
{
	static struct source src;
	static struct sink snk;
	static struct fake_src fs;
	static struct opts o;

	opts_init(&o);
	o.checkpoint_msgs = ckpt_every;
	o.checkpoint_secs = 0;
	memset(&fs, 0, sizeof(fs));
	fs.msgs = msgs;
	fs.n = n;
	memset(&src, 0, sizeof(src));
	src.ops = &fake_source;
	src.data = &fs;
	memset(&snk, 0, sizeof(snk));
	snk.ops = &fake_sink_ops;
	snk.data = fk;
	snk.state = SINK_OPEN;
	buf_init(&snk.ref.file);
	memset(p, 0, sizeof(*p));
	p->src = &src;
	p->snk = &snk;
	p->opts = &o;
	p->hooks.recorded = on_recorded;
	p->hooks.committed = on_committed;
	p->hooks.problem = on_problem;
	committed_calls = recorded_calls = problems = 0;
	int st = pipeline_run(p);
	buf_release(&snk.ref.file);
	return st;
}

static void
test_happy_path(void)
{
	const struct fake_msg msgs[] = {
		{ "From: A <a@x>\nSubject: one\n\nbody one\n", MS_OK, 0, MS_OK, -1 },
		{ "From: b@y\n\n", MS_OK, 0, MS_OK, 11 },
		{ "", MS_OK, 0, MS_OK, -1 },
		{ "no header at all", MS_OK, 0, MS_OK, -1 },
	};
	struct fake_sink fk = { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pipeline p;

	CHECK_INT(run(msgs, 4, &fk, &p, 2), MS_OK);
	CHECK_INT(p.stats.messages, 4);
	CHECK_INT(p.stats.bytes, 37 + 11 + 0 + 16);
	CHECK_INT(fk.begins, 4);
	CHECK_INT(fk.ends, 4);
	CHECK_INT(fk.aborts, 0);
	CHECK_INT(recorded_calls, 4);
	/* Every 2 messages, and none left over at the end. */
	CHECK_INT(fk.checkpoints, 2);
	CHECK_INT(committed_calls, 2);
	/* Bytes arrive whole and in order; the SHA-256 of "" is e3b0c442. */
	CHECK(strstr(fk.out.s, "[a@x|From: A <a@x>\nSubject: one\n\nbody one\n|")
	    == fk.out.s);
	CHECK(strstr(fk.out.s, "[-||e3b0c442]") != NULL);
	CHECK(strstr(fk.out.s, "[-|no header at all|") != NULL);
	buf_release(&fk.out);
}

static void
test_failures(void)
{
	const struct fake_msg msgs[] = {
		{ "From: a@x\n\nkept\n", MS_OK, 0, MS_OK, -1 },
		{ "From: b@x\n\nlost in the middle\n", MS_OK, 15, MS_SKIP, -1 },
		{ "unreadable", MS_SKIP, 0, MS_OK, -1 },
		{ "folder gone", MS_FAILED, 0, MS_OK, -1 },
		{ "From: c@x\n\nsize lies\n", MS_OK, 0, MS_OK, 5 },
		{ "From: d@x\n\nlast\n", MS_OK, 0, MS_OK, -1 },
	};
	struct fake_sink fk = { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pipeline p;

	CHECK_INT(run(msgs, 6, &fk, &p, 1000), MS_OK);
	CHECK_INT(p.stats.messages, 2);
	CHECK_INT(p.stats.skipped, 3);
	CHECK_INT(p.stats.failed_folders, 1);
	CHECK_INT(problems, 4);
	CHECK_INT(fk.aborts, 2);
	/* Nothing of the broken messages is left in the output. */
	CHECK(strstr(fk.out.s, "lost") == NULL);
	CHECK(strstr(fk.out.s, "size lies") == NULL);
	CHECK(strstr(fk.out.s, "kept") != NULL);
	CHECK(strstr(fk.out.s, "last") != NULL);
	/* One final checkpoint makes the two messages durable. */
	CHECK_INT(fk.checkpoints, 1);
	buf_release(&fk.out);
}

static void
test_fatal_sink(void)
{
	const struct fake_msg msgs[] = {
		{ "From: a@x\n\none\n", MS_OK, 0, MS_OK, -1 },
		{ "From: b@x\n\ntwo\n", MS_OK, 0, MS_OK, -1 },
		{ "From: c@x\n\nthree\n", MS_OK, 0, MS_OK, -1 },
	};
	struct fake_sink fk = { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pipeline p;

	fk.fail_msg = 2;	/* the second message's first write */
	fk.fail_status = MS_FATAL;
	CHECK_INT(run(msgs, 3, &fk, &p, 1000), MS_FATAL);
	CHECK_INT(p.stats.messages, 1);
	CHECK(strstr(p.err.msg, "disk full") != NULL);
	CHECK_INT(fk.begins, 2);
	CHECK_INT(recorded_calls, 1);
	/* A dead sink is not checkpointed, and nothing is committed. */
	CHECK_INT(fk.checkpoints, 0);
	CHECK_INT(committed_calls, 0);
	buf_release(&fk.out);
}

static void
test_fatal_source(void)
{
	const struct fake_msg msgs[] = {
		{ "From: a@x\n\none\n", MS_OK, 0, MS_OK, -1 },
		{ "From: b@x\n\ntwo\n", MS_OK, 12, MS_FATAL, -1 },
	};
	struct fake_sink fk = { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pipeline p;

	CHECK_INT(run(msgs, 2, &fk, &p, 1000), MS_FATAL);
	CHECK_INT(p.stats.messages, 1);
	CHECK_INT(fk.aborts, 1);
	/* What was ended before the failure is made durable. */
	CHECK_INT(fk.checkpoints, 1);
	CHECK_INT(committed_calls, 1);
	CHECK(strstr(p.err.msg, "cut at") != NULL);
	buf_release(&fk.out);
}

static void
test_sink_state_machine(void)
{
	struct sink snk;
	struct fake_sink fk = { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, 0 };
	unsigned char sha[32] = { 0 };

	memset(&snk, 0, sizeof(snk));
	snk.ops = &fake_sink_ops;
	snk.data = &fk;
	snk.state = SINK_OPEN;
	buf_init(&snk.ref.file);
	CHECK_INT(sink_write(&snk, "x", 1), MS_FATAL);
	CHECK_INT(sink_end(&snk, sha), MS_FATAL);
	CHECK_INT(fk.writes, 0);
	snk.state = SINK_DEAD;
	CHECK_INT(sink_checkpoint(&snk), MS_FATAL);
	CHECK_INT(fk.checkpoints, 0);
	buf_release(&snk.ref.file);
	buf_release(&fk.out);
}

int
main(void)
{
	test_happy_path();
	test_failures();
	test_fatal_sink();
	test_fatal_source();
	test_sink_state_machine();
	return test_done();
}
