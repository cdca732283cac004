/*
 * test_chart.c - timeline.svg: well-formed XML (checked by Python's XML
 * parser), one legend entry per term with its exact text, escaping of
 * markup characters and bad bytes, the drawing chosen for one period and
 * for many, and TP_EIO on a write error.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "chart.h"
#include "tempora.h"

#define PYTHON "/usr/bin/python3"

/* Parses the SVG and checks the legend: its <text> elements, in order,
 * must be the lines of the names file. Exit status 0 when all is well. */
static const char checker[] =
    "import sys, xml.dom.minidom as m\n"
    "d = m.parse(sys.argv[1])\n"
    "assert d.documentElement.tagName == 'svg'\n"
    "names = open(sys.argv[2], encoding='utf-8').read().split('\\n')[:-1]\n"
    "gs = [g for g in d.getElementsByTagName('g') if g.getAttribute('class') == 'legend']\n"
    "assert len(gs) == 1, len(gs)\n"
    "texts = [''.join(n.data for n in t.childNodes) for t in gs[0].getElementsByTagName('text')]\n"
    "assert texts == names, (texts, names)\n";

struct chart_file {
    char svg[64];
    char names[64];
    char script[64];
};

/* Criterion runs tests in parallel workers: each gets its own files. */
static void chart_file_init(struct chart_file *cf)
{
    int fd;

    snprintf(cf->svg, sizeof(cf->svg), "/tmp/tp_chart_XXXXXX");
    snprintf(cf->names, sizeof(cf->names), "/tmp/tp_chart_names_XXXXXX");
    snprintf(cf->script, sizeof(cf->script), "/tmp/tp_chart_py_XXXXXX");
    fd = mkstemp(cf->svg);
    cr_assert(fd >= 0);
    close(fd);
    fd = mkstemp(cf->names);
    cr_assert(fd >= 0);
    close(fd);
    fd = mkstemp(cf->script);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, checker, strlen(checker)), (ssize_t)strlen(checker));
    close(fd);
}

static void chart_file_release(struct chart_file *cf)
{
    remove(cf->svg);
    remove(cf->names);
    remove(cf->script);
}

/* Render to cf->svg, write the expected legend texts, run the checker. */
static void render_and_check(struct chart_file *cf, const char *const *labels, size_t n_periods,
                             const struct tp_series *series, size_t n_series,
                             const char *const *legend_texts)
{
    struct tp_error err = {0, ""};
    char cmd[256];
    FILE *f;
    size_t i;

    f = fopen(cf->svg, "w");
    cr_assert(f);
    cr_assert_eq(tp_chart_svg(f, labels, n_periods, series, n_series, "A title & more", &err), 0,
                 "%s", err.msg);
    cr_assert_eq(fclose(f), 0);

    f = fopen(cf->names, "w");
    cr_assert(f);
    for (i = 0; i < n_series; i++)
        fprintf(f, "%s\n", legend_texts[i]);
    cr_assert_eq(fclose(f), 0);

    if (access(PYTHON, X_OK) != 0)
        cr_skip_test("%s is not installed", PYTHON);
    snprintf(cmd, sizeof(cmd), "%s %s %s %s", PYTHON, cf->script, cf->svg, cf->names);
    cr_assert_eq(system(cmd), 0, "the SVG failed the XML check: %s", cf->svg);
}

/* The whole file as a string; caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert(f);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    cr_assert(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle))) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

static const char *const months[] = {"2025-01", "2025-02", "2025-03",
                                     "2025-04", "2025-05", "2025-06"};
static const double y_a[] = {10.0, 12.5, 9.0, 14.0, 20.0, 18.0};
static const double lo_a[] = {8.0, 10.0, 7.0, 11.5, 17.0, 15.0};
static const double hi_a[] = {12.0, 15.0, 11.0, 16.5, 23.0, 21.0};
static const double y_b[] = {0.0, 0.0, 1.0, 0.0, 2.0, 0.0};
static const double lo_b[] = {0.0, 0.0, 0.1, 0.0, 0.5, 0.0};
static const double hi_b[] = {3.7, 3.7, 5.6, 3.7, 7.2, 3.7};

Test(chart, well_formed_with_one_legend_entry_per_series_and_escaping)
{
    struct chart_file cf;
    const struct tp_series series[] = {
        {"a<b&\"c\"", y_a, lo_a, hi_a},
        {"l'anno", y_b, lo_b, hi_b},
        {"città", y_a, lo_a, hi_a},
    };
    const char *const legend[] = {"a<b&\"c\"", "l'anno", "città"};
    char *svg;

    chart_file_init(&cf);
    render_and_check(&cf, months, 6, series, 3, legend);
    svg = slurp(cf.svg);
    /* Escaped in the legend and in each line's tooltip, never raw. */
    cr_assert_eq(count(svg, "a&lt;b&amp;&quot;c&quot;"), 2);
    cr_assert_eq(count(svg, "a<b"), 0);
    cr_assert_eq(count(svg, "l&apos;anno"), 2);
    cr_assert_eq(count(svg, "A title &amp; more"), 1);
    /* One band and one line per series; markers at few periods. */
    cr_assert_eq(count(svg, "<polygon"), 3);
    cr_assert_eq(count(svg, "<polyline"), 3);
    cr_assert(count(svg, "<circle") >= 18);
    cr_assert_eq(count(svg, "<script"), 0);
    free(svg);
    chart_file_release(&cf);
}

Test(chart, twenty_series_and_many_periods)
{
    static char label_buf[120][16];
    const char *labels[120];
    double y[120], lo[120], hi[120];
    struct tp_series series[20];
    char names[20][16];
    const char *legend[20];
    struct chart_file cf;
    char *svg;
    size_t i;

    for (i = 0; i < 120; i++) {
        snprintf(label_buf[i], sizeof(label_buf[i]), "2025-%02zu-%02zu", i / 28 + 1, i % 28 + 1);
        labels[i] = label_buf[i];
        y[i] = 100.0 + 50.0 * sin((double)i / 7.0);
        lo[i] = y[i] - 10.0;
        hi[i] = y[i] + 10.0;
    }
    for (i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "term%zu", i);
        series[i] = (struct tp_series){names[i], y, lo, hi};
        legend[i] = names[i];
    }
    chart_file_init(&cf);
    render_and_check(&cf, labels, 120, series, 20, legend);
    svg = slurp(cf.svg);
    /* Past 30 periods: lines without markers; past ten series: dashes. */
    cr_assert_eq(count(svg, "<circle"), 0);
    cr_assert(count(svg, "stroke-dasharray") >= 10);
    /* 120 day labels cannot all be shown. */
    cr_assert(count(svg, ">2025-") < 60);
    free(svg);
    chart_file_release(&cf);
}

Test(chart, single_period_draws_error_bars)
{
    static const char *const one[] = {"2025"};
    static const double y[] = {42.0}, lo[] = {30.0}, hi[] = {55.0};
    const struct tp_series series[] = {{"x", y, lo, hi}, {"y", y, lo, hi}};
    const char *const legend[] = {"x", "y"};
    struct chart_file cf;
    char *svg;

    chart_file_init(&cf);
    render_and_check(&cf, one, 1, series, 2, legend);
    svg = slurp(cf.svg);
    cr_assert_eq(count(svg, "<polyline"), 0);
    cr_assert_eq(count(svg, "<polygon"), 0);
    cr_assert_eq(count(svg, "<path"), 2);
    free(svg);
    chart_file_release(&cf);
}

Test(chart, missing_values_bad_bytes_and_no_data_stay_well_formed)
{
    static const double y[] = {1.0, NAN, 3.0, 4.0, NAN, 6.0};
    /* An invalid byte, a control character and a lone continuation byte:
     * each becomes U+FFFD so the file still parses. */
    const struct tp_series series[] = {{"bad\xff\x01x\x80", y, lo_a, hi_a}};
    const char *const legend[] = {"bad\xef\xbf\xbd\xef\xbf\xbdx\xef\xbf\xbd"};
    struct chart_file cf;
    char *svg;

    chart_file_init(&cf);
    render_and_check(&cf, months, 6, series, 1, legend);
    svg = slurp(cf.svg);
    /* The NaNs split the line into runs: {0}, {2, 3}, {5}. */
    cr_assert_eq(count(svg, "<polyline"), 3);
    free(svg);
    render_and_check(&cf, months, 0, NULL, 0, NULL);
    chart_file_release(&cf);
}

/* A write error, made without any device: in a child process limited to
 * 100-byte files (SIGXFSZ ignored, as tempora ignores it), writes to a file
 * fail with EFBIG. */
Test(chart, write_error_is_an_io_error)
{
    const struct tp_series series[] = {{"t", y_a, lo_a, hi_a}};
    struct chart_file cf;

    chart_file_init(&cf);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        struct tp_error err = {0, ""};
        struct rlimit rl = {100, 100};
        signal(SIGXFSZ, SIG_IGN);
        FILE *f = fopen(cf.svg, "w");
        if (!f || setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        if (tp_chart_svg(f, months, 6, series, 1, "t", &err) != TP_EIO)
            _exit(11);
        if (err.code != TP_EIO || strlen(err.msg) == 0)
            _exit(12);
        fclose(f);
        _exit(0);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died of signal %d", WTERMSIG(st));
    cr_expect_eq(WEXITSTATUS(st), 0);
    chart_file_release(&cf);
}

/* tp_chart_fixed2 writes what printf's "%.2f" writes: on ties of the exact
 * value (k/8 and the like), on values printf rounds down although their
 * product by 100 rounds to a tie (1.005, 2.675), on signs and zeros, and on
 * two million random values over the range a chart's coordinates take. */
static void check_fixed2(double v)
{
    char want[64], got[32];
    snprintf(want, sizeof(want), "%.2f", v);
    size_t n = tp_chart_fixed2(v, got);
    cr_assert_eq(n, strlen(want), "%.17g: length %zu, printf '%s'", v, n, want);
    cr_assert_str_eq(got, want, "%.17g", v);
}

Test(chart, fixed2_is_printf_2f)
{
    static const double edge[] = {0,     -0.0,   0.001, -0.001, 0.005,  -0.005,       0.015,
                                  0.125, 0.375,  0.625, 0.875,  -0.125, 1.005,        2.675,
                                  9.995, 99.995, 0.045, 1234.5, 0.5,    1e12 + 0.125, 9.99999e12};
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
        check_fixed2(edge[i]);
    for (int k = -20000; k <= 20000; k++) {
        check_fixed2(k / 8.0);    /* exact ties at the third decimal */
        check_fixed2(k / 1000.0); /* nearest doubles to x.yz5 */
        check_fixed2(k / 200.0);  /* to x.y5 and x.y0 */
        check_fixed2(k * 0.01);   /* products that round near a tie */
    }
    unsigned long long x = 88172645463325252ull;
    for (int i = 0; i < 2000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        check_fixed2((u - 0.25) * (i % 2 ? 2000.0 : 1e7));
    }
    char buf[32];
    cr_assert_eq(tp_chart_fixed2(1e13, buf), 0);
    cr_assert_eq(tp_chart_fixed2(NAN, buf), 0);
    cr_assert_eq(tp_chart_fixed2(-INFINITY, buf), 0);
}
