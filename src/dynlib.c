/*
 * dynlib.c - libraries loaded when first needed (see dynlib.h).
 *
 * The first tp_dynlib_need of a library opens it with dlopen (RTLD_NOW, so a
 * missing symbol of its own fails here and not in the middle of a run;
 * RTLD_LOCAL, so its symbols never interpose ours) and fills the caller's
 * table. One mutex serializes first loads; afterwards a load-acquire of the
 * state is all a call costs, so readers may ask once per document.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym's result is stored in function pointers");

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fill lib's table from the library at h, then run its init. Returns 0, or
 * -1 with lib->why set. */
static int fill(void *h, struct tp_dynlib *lib)
{
    if (lib->table_size != lib->n * sizeof(void *)) {
        snprintf(lib->why, sizeof(lib->why), "its table does not match its %zu names", lib->n);
        return -1;
    }
    for (size_t i = 0; i < lib->n; i++) {
        void *p = dlsym(h, lib->names[i]);
        if (!p) {
            snprintf(lib->why, sizeof(lib->why), "%s has no symbol %s", lib->soname, lib->names[i]);
            return -1;
        }
        memcpy((char *)lib->table + i * sizeof(p), &p, sizeof(p));
    }
    if (lib->init)
        lib->init();
    return 0;
}

static int load(struct tp_dynlib *lib)
{
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lib->why, sizeof(lib->why), "%s", e ? e : lib->soname);
        return -1;
    }
    /* on failure the handle stays: the library may hold state already */
    return fill(h, lib);
}

int tp_dynlib_need(struct tp_dynlib *lib, const char *path, struct tp_error *err)
{
    int state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);
    if (state == 0) {
        pthread_mutex_lock(&load_lock);
        state = lib->state;
        if (state == 0) {
            state = load(lib) == 0 ? 1 : -1;
            __atomic_store_n(&lib->state, state, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&load_lock);
    }
    if (state > 0)
        return 0;
    return tp_error_set(err, TP_EINTERNAL, "%s%s%s needs %s, which cannot be loaded: %s",
                        path ? path : "", path ? ": " : "", lib->needed_for, lib->soname, lib->why);
}
