/*
 * tls.c: the TLS material of the two HTTP listeners, over GnuTLS (the
 * library Debian's libmicrohttpd is built with). Only src/api/ includes
 * gnutls headers (scripts/check-layers.sh), and within it only this file.
 *
 * Reload. libmicrohttpd 0.9.75 cannot swap the certificate of a running
 * daemon, so the daemons are started with MHD_OPTION_HTTPS_CERT_CALLBACK:
 * GnuTLS asks cert_cb for the certificate on every handshake, and cert_cb
 * hands out the newest generation. api_tls_reload() reads the files into a
 * new generation, checks that key and certificate belong together, and
 * publishes it with one atomic store; a bad file keeps the previous one.
 * Connections already open keep the certificate they were handshaken with;
 * the listening sockets are never closed. GnuTLS keeps borrowed pointers to
 * what cert_cb returned for the life of each session, so retired
 * generations stay allocated until api_tls_destroy (a few KB each; a reload
 * whose files did not change creates none).
 *
 * The callback of GnuTLS carries no argument, so the current generation is
 * process-wide: one TLS configuration per process (one jobsd).
 *
 * Device mutual TLS. The data listener is given the client CA
 * (MHD_OPTION_HTTPS_MEM_TRUST), which makes GnuTLS ask for, but not
 * require, a client certificate; the handshake itself proves the client
 * holds the key. Each request then verifies the peer chain against our own
 * trust list (part of the generation, so the CA reloads too), for the TLS
 * client purpose, and takes the subject CN as the thing name. Refusing in
 * HTTP rather than in the handshake gives the client an AWS-shaped error.
 */
#include "api/api_int.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define TLS_CHAIN_MAX 8       /* certificates in a served or presented chain */
#define TLS_PEM_MAX (1 << 20) /* a certificate, key or CA file */

struct tls_gen {
	gnutls_pcert_st pcert[TLS_CHAIN_MAX];
	unsigned int npcert;
	gnutls_privkey_t key;
	gnutls_x509_trust_list_t trust;       /* NULL without a client CA */
	struct buf cert_pem, key_pem, ca_pem; /* what it was made from */
	struct tls_gen *older;
};

struct api_tls {
	char *cert_path, *key_path, *ca_path;
	pthread_mutex_t mu; /* serialises reloads */
	_Atomic(struct tls_gen *) cur;
	char *ca_pem_start; /* the CA as first loaded (MHD_OPTION_HTTPS_MEM_TRUST) */
};

static _Atomic(struct api_tls *) process_tls;

static int
read_file(const char *what, const char *path, struct buf *b, struct jd_error *e)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return jd_error_set(e, JD_EINVAL, "cannot open %s %s", what, path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > TLS_PEM_MAX) {
			fclose(f);
			return jd_error_set(e, JD_EINVAL, "%s %s is larger than %d bytes", what,
			    path, TLS_PEM_MAX);
		}
		buf_append(b, chunk, n);
	}
	fclose(f);
	buf_append(b, "", 1); /* NUL-terminated: libmicrohttpd takes C strings */
	b->len--;
	return 0;
}

static bool
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void
gen_free(struct tls_gen *g)
{
	if (g == NULL)
		return;
	for (unsigned int i = 0; i < g->npcert; i++)
		gnutls_pcert_deinit(&g->pcert[i]);
	if (g->key != NULL)
		gnutls_privkey_deinit(g->key);
	if (g->trust != NULL)
		gnutls_x509_trust_list_deinit(g->trust, 1);
	if (g->key_pem.p != NULL)
		memset(g->key_pem.p, 0, g->key_pem.len);
	buf_free(&g->cert_pem);
	buf_free(&g->key_pem);
	buf_free(&g->ca_pem);
	free(g);
}

static gnutls_datum_t
datum(const struct buf *b)
{
	gnutls_datum_t d = {(unsigned char *)b->p, (unsigned int)b->len};
	return d;
}

/* Read the files into a new generation; *changed false when they are the
 * same as those of `prev`. */
static int
gen_load(const struct api_tls *t, const struct tls_gen *prev, struct tls_gen **out, bool *changed,
    struct jd_error *e)
{
	struct tls_gen *g = jd_calloc(1, sizeof(*g));
	gnutls_certificate_credentials_t check = NULL;
	gnutls_datum_t d;
	int rc = 0, grc;

	*out = NULL;
	if ((rc = read_file("TLS certificate", t->cert_path, &g->cert_pem, e)) != 0 ||
	    (rc = read_file("TLS key", t->key_path, &g->key_pem, e)) != 0 ||
	    (t->ca_path != NULL && (rc = read_file("client CA", t->ca_path, &g->ca_pem, e)) != 0))
		goto out;
	if (prev != NULL && same(&g->cert_pem, &prev->cert_pem) &&
	    same(&g->key_pem, &prev->key_pem) && same(&g->ca_pem, &prev->ca_pem)) {
		*changed = false;
		goto out;
	}
	*changed = true;
	/* the pair must match: GnuTLS checks it when both go into credentials */
	gnutls_certificate_allocate_credentials(&check);
	d = datum(&g->cert_pem);
	gnutls_datum_t k = datum(&g->key_pem);
	if ((grc = gnutls_certificate_set_x509_key_mem2(check, &d, &k, GNUTLS_X509_FMT_PEM, NULL,
	         0)) < 0) {
		rc = jd_error_set(e, JD_EINVAL, "TLS certificate %s and key %s: %s", t->cert_path,
		    t->key_path, gnutls_strerror(grc));
		goto out;
	}
	g->npcert = TLS_CHAIN_MAX;
	if ((grc = gnutls_pcert_list_import_x509_raw(g->pcert, &g->npcert, &d, GNUTLS_X509_FMT_PEM,
	         0)) < 0) {
		g->npcert = 0;
		rc = jd_error_set(e, JD_EINVAL, "TLS certificate %s: %s", t->cert_path,
		    gnutls_strerror(grc));
		goto out;
	}
	gnutls_privkey_init(&g->key);
	if ((grc = gnutls_privkey_import_x509_raw(g->key, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc =
		    jd_error_set(e, JD_EINVAL, "TLS key %s: %s", t->key_path, gnutls_strerror(grc));
		goto out;
	}
	if (t->ca_path != NULL) {
		gnutls_datum_t ca = datum(&g->ca_pem);
		gnutls_x509_trust_list_init(&g->trust, 0);
		grc = gnutls_x509_trust_list_add_trust_mem(g->trust, &ca, NULL, GNUTLS_X509_FMT_PEM,
		    0, 0);
		if (grc <= 0) {
			rc = jd_error_set(e, JD_EINVAL, "client CA %s: %s", t->ca_path,
			    grc < 0 ? gnutls_strerror(grc) : "no certificate in the file");
			goto out;
		}
	}
	*out = g;
	g = NULL;
out:
	if (check != NULL)
		gnutls_certificate_free_credentials(check);
	gen_free(g);
	return rc;
}

/* gnutls_certificate_retrieve_function2: the newest certificate. What it
 * returns is borrowed by GnuTLS for the session (see the file comment). */
static int
cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_rdn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
    unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct api_tls *t = atomic_load(&process_tls);
	struct tls_gen *g = t != NULL ? atomic_load(&t->cur) : NULL;

	(void)s;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (g == NULL)
		return -1;
	*pcert = g->pcert;
	*pcert_length = g->npcert;
	*pkey = g->key;
	return 0;
}

int
api_tls_create(const char *cert, const char *key, const char *client_ca, struct api_tls **out,
    struct jd_error *e)
{
	struct api_tls *t = jd_calloc(1, sizeof(*t));
	struct tls_gen *g = NULL;
	bool changed;
	int rc;

	*out = NULL;
	t->cert_path = jd_strdup(cert);
	t->key_path = jd_strdup(key);
	t->ca_path = client_ca != NULL ? jd_strdup(client_ca) : NULL;
	pthread_mutex_init(&t->mu, NULL);
	if ((rc = gen_load(t, NULL, &g, &changed, e)) != 0) {
		api_tls_destroy(t);
		return rc;
	}
	atomic_store(&t->cur, g);
	if (client_ca != NULL)
		t->ca_pem_start = jd_strdup(g->ca_pem.p);
	atomic_store(&process_tls, t);
	*out = t;
	return 0;
}

int
api_tls_reload(struct api_tls *t, bool *changed, struct jd_error *e)
{
	struct tls_gen *g = NULL, *prev;
	int rc;

	*changed = false;
	pthread_mutex_lock(&t->mu);
	prev = atomic_load(&t->cur);
	rc = gen_load(t, prev, &g, changed, e);
	if (rc == 0 && g != NULL) {
		g->older = prev;
		atomic_store(&t->cur, g);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void *
api_tls_cert_callback(void)
{
	return (void *)cert_cb;
}

const char *
api_tls_client_ca(const struct api_tls *t)
{
	return t->ca_pem_start;
}

static const char *
status_text(unsigned int status, char *out, size_t n)
{
	gnutls_datum_t txt = {NULL, 0};

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0) < 0) {
		snprintf(out, n, "verification status 0x%x", status);
	} else {
		size_t len;
		snprintf(out, n, "%s", (const char *)txt.data);
		gnutls_free(txt.data);
		len = strlen(out);
		while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '.'))
			out[--len] = '\0';
	}
	return out;
}

int
api_tls_peer_thing(struct api_tls *t, void *session, char *thing, size_t n, struct jd_error *e)
{
	struct tls_gen *g = atomic_load(&t->cur);
	gnutls_x509_crt_t crt[TLS_CHAIN_MAX] = {0};
	const gnutls_datum_t *peers;
	unsigned int np = 0, status = 0;
	gnutls_typed_vdata_st vd = {GNUTLS_DT_KEY_PURPOSE_OID,
	    (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	char why[256];
	size_t cn = n;
	int rc = 0, grc;

	thing[0] = '\0';
	if (session == NULL || g->trust == NULL)
		return jd_error_set(e, JD_EFORBIDDEN,
		    "This endpoint requires a client certificate");
	peers = gnutls_certificate_get_peers(session, &np);
	if (peers == NULL || np == 0)
		return jd_error_set(e, JD_EFORBIDDEN,
		    "No client certificate was presented; this "
		    "endpoint authenticates devices by their X.509 certificate");
	if (np > TLS_CHAIN_MAX)
		return jd_error_set(e, JD_EFORBIDDEN, "The client certificate chain is too long");
	for (unsigned int i = 0; i < np; i++) {
		gnutls_x509_crt_init(&crt[i]);
		if (gnutls_x509_crt_import(crt[i], &peers[i], GNUTLS_X509_FMT_DER) < 0) {
			rc = jd_error_set(e, JD_EFORBIDDEN,
			    "The client certificate cannot be parsed");
			goto out;
		}
	}
	grc = gnutls_x509_trust_list_verify_crt2(g->trust, crt, np, &vd, 1, 0, &status, NULL);
	if (grc < 0 || status != 0) {
		rc = jd_error_set(e, JD_EFORBIDDEN, "The client certificate is not valid: %s",
		    grc < 0 ? gnutls_strerror(grc) : status_text(status, why, sizeof(why)));
		goto out;
	}
	grc = gnutls_x509_crt_get_dn_by_oid(crt[0], GNUTLS_OID_X520_COMMON_NAME, 0, 0, thing, &cn);
	if (grc < 0 || core_check_thing_name("thingName", thing, NULL) != 0) {
		thing[0] = '\0';
		rc = jd_error_set(e, JD_EFORBIDDEN,
		    "The client certificate's subject CN is not a thing name");
		goto out;
	}
out:
	for (unsigned int i = 0; i < np && i < TLS_CHAIN_MAX; i++)
		if (crt[i] != NULL)
			gnutls_x509_crt_deinit(crt[i]);
	return rc;
}

void
api_tls_destroy(struct api_tls *t)
{
	struct tls_gen *g;

	if (t == NULL)
		return;
	{
		struct api_tls *expect = t;
		atomic_compare_exchange_strong(&process_tls, &expect, NULL);
	}
	g = atomic_load(&t->cur);
	while (g != NULL) {
		struct tls_gen *older = g->older;
		gen_free(g);
		g = older;
	}
	pthread_mutex_destroy(&t->mu);
	free(t->cert_path);
	free(t->key_path);
	free(t->ca_path);
	free(t->ca_pem_start);
	free(t);
}
