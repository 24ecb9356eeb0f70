/*
 * Gmail's X-GM-MSGID and X-GM-LABELS for the IMAP reader (gmail.h): a
 * lenient X-GM-LABELS parser plugged into libetpan, and labels made
 * keywords.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gmail.h"
#include "net.h"

/*
 * libetpan's astring parser, exported by the library but declared in a
 * header Debian does not install (research/libetpan.md 5.1); this is its
 * 1.9.4 prototype.  mailimap_astring_free() frees what it returns.
 */
int mailimap_astring_parse(mailstream *fd, MMAPString *buffer,
    struct mailimap_parser_context *parser_ctx, size_t *indx, char **result,
    size_t progr_rate, progress_function *progr_fun);
void mailimap_astring_free(char *astring);

static const char item_name[] = "X-GM-LABELS";

/* Bytes a bare label word may not hold (RFC 3501 atom-specials). */
static int
word_end(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '(' || c == ')' || c == '{' ||
	    c == '"' || c == '\\';
}

static void
labels_free(struct mailimap_extension_data *d)
{
	if (d == NULL)
		return;
	if (d->ext_data != NULL)
		mailimap_msg_att_xgmlabels_free(d->ext_data);
	free(d);
}

static int labels_parse(int calling_parser, mailstream *fd,
    MMAPString *buffer, struct mailimap_parser_context *ctx, size_t *indx,
    struct mailimap_extension_data **result, size_t progr_rate,
    progress_function *progr_fun);

static struct mailimap_extension_api labels_api = {
	.ext_name = (char *)item_name,
	.ext_id = -1,
	.ext_parser = labels_parse,
	.ext_free = labels_free,
};

/*
 * "X-GM-LABELS" SP "(" [label *(SP label)] ")", a label being a
 * backslash word or an astring.  libetpan calls this only when its own
 * parser failed; like its parsers, it moves *indx only on success.
 */
static int
labels_parse(int calling_parser, mailstream *fd, MMAPString *buffer,
    struct mailimap_parser_context *ctx, size_t *indx,
    struct mailimap_extension_data **result, size_t progr_rate,
    progress_function *progr_fun)
{
	size_t cur = *indx, n = sizeof(item_name) - 1;
	struct mailimap_msg_att_xgmlabels *att;
	struct mailimap_extension_data *d;
	clist *list;
	int r = MAILIMAP_ERROR_PARSE;

	if (calling_parser != MAILIMAP_EXTENDED_PARSER_FETCH_DATA ||
	    buffer->len < cur + n + 2 ||
	    strncasecmp(buffer->str + cur, item_name, n) != 0 ||
	    buffer->str[cur + n] != ' ' || buffer->str[cur + n + 1] != '(')
		return MAILIMAP_ERROR_PARSE;
	cur += n + 2;
	if ((list = clist_new()) == NULL)
		return MAILIMAP_ERROR_MEMORY;
	for (;;) {
		char *label = NULL;

		if (cur >= buffer->len)
			goto fail;	/* the line ended inside the list */
		if (buffer->str[cur] == ')') {
			cur++;
			break;
		}
		if (buffer->str[cur] == ' ' && clist_count(list) > 0) {
			cur++;
			continue;
		}
		if (buffer->str[cur] == '\\') {
			size_t end = cur + 1;

			while (end < buffer->len &&
			    !word_end((unsigned char)buffer->str[end]))
				end++;
			if (end == cur + 1)
				goto fail;
			if ((label = malloc(end - cur + 1)) == NULL) {
				r = MAILIMAP_ERROR_MEMORY;
				goto fail;
			}
			memcpy(label, buffer->str + cur, end - cur);
			label[end - cur] = '\0';
			cur = end;
		} else {
			r = mailimap_astring_parse(fd, buffer, ctx, &cur,
			    &label, progr_rate, progr_fun);
			if (r != MAILIMAP_NO_ERROR)
				goto fail;
			r = MAILIMAP_ERROR_PARSE;
		}
		if (clist_append(list, label) != 0) {
			free(label);
			r = MAILIMAP_ERROR_MEMORY;
			goto fail;
		}
	}
	if ((att = mailimap_msg_att_xgmlabels_new(list)) == NULL) {
		r = MAILIMAP_ERROR_MEMORY;
		goto fail;
	}
	if ((d = mailimap_extension_data_new(&labels_api, 0, att)) == NULL) {
		mailimap_msg_att_xgmlabels_free(att);
		return MAILIMAP_ERROR_MEMORY;
	}
	*result = d;
	*indx = cur;
	return MAILIMAP_NO_ERROR;
fail:
	for (clistiter *it = clist_begin(list); it != NULL; it = clist_next(it))
		free(clist_content(it));
	clist_free(list);
	return r;
}

void
gm_register(void)
{
	static int done;

	if (!done && mailimap_extension_register(&labels_api) == 0)
		done = 1;
}

int
gm_item(const struct mailimap_msg_att_item *item, uint64_t *msgid,
    struct buf *labels)
{
	const struct mailimap_extension_data *d;
	const struct mailimap_msg_att_xgmlabels *att;

	if (item->att_type != MAILIMAP_MSG_ATT_ITEM_EXTENSION ||
	    (d = item->att_data.att_extension_data) == NULL ||
	    d->ext_extension == NULL || d->ext_data == NULL)
		return 0;
	if (d->ext_extension == &mailimap_extension_xgmmsgid) {
		*msgid = *(const uint64_t *)d->ext_data;
		return 1;
	}
	if (d->ext_extension != &mailimap_extension_xgmlabels &&
	    d->ext_extension != &labels_api)
		return 0;
	att = d->ext_data;
	for (clistiter *it = clist_begin(att->att_labels); it != NULL;
	    it = clist_next(it))
		if (clist_content(it) != NULL)
			gm_add_label(labels, clist_content(it));
	return 1;
}

/* Whether kw holds the word w[0..n). */
static int
has_word(const struct buf *kw, const char *w, size_t n)
{
	const char *p = kw->s;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len == n && memcmp(p, w, n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static void
add_word(struct buf *kw, const char *w, size_t n)
{
	if (n == 0 || has_word(kw, w, n))
		return;
	if (kw->len > 0)
		buf_addc(kw, ' ');
	buf_add(kw, w, n);
}

void
gm_add_label(struct buf *kw, const char *label)
{
	struct buf word = BUF_INIT;

	if (*label == '\\')
		buf_adds(&word, label + 1);
	else if (net_mutf7_decode(&word, label) != 0)
		buf_adds(&word, label);
	for (size_t i = 0; i < word.len; i++)
		if ((unsigned char)word.s[i] <= 0x20 || word.s[i] == 0x7f)
			word.s[i] = '_';
	add_word(kw, word.s, word.len);
	buf_release(&word);
}

void
gm_merge_words(struct buf *kw, const char *words)
{
	const char *p = words + strspn(words, " ");

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		add_word(kw, p, len);
		p += len;
		p += strspn(p, " ");
	}
}
