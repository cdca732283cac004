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

int tp_dynlib_sym(void *h, const char *name, void *dst, size_t size, struct tp_dynlib *lib)
{
    void *p = dlsym(h, name);
    if (!p || size != sizeof(p)) {
        snprintf(lib->why, sizeof(lib->why), "%s has no symbol %s", lib->soname, name);
        return -1;
    }
    memcpy(dst, &p, sizeof(p));
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
    if (lib->fill(h, lib) < 0)
        return -1; /* the handle stays: the library may hold state already */
    return 0;
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
