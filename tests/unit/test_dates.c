/*
 * test_dates.c - unit tests for src/dates.c: date parsing, date headers and
 * front matter, dates in file names, period indexes, labels and start dates.
 *
 * Calendar facts (ISO weeks, day counts) were checked independently with
 * Python's datetime: date.isocalendar(), date.fromisocalendar() and
 * (date - date(1970, 1, 1)).days, run with /usr/bin/python3.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dates.h"

static int parse(const char *s, struct tp_date *d)
{
    return tp_date_parse(s, strlen(s), d);
}

Test(dates, parse_valid)
{
    struct tp_date d;

    cr_assert_eq(parse("2024-02-29", &d), 0); /* 2024 is a leap year */
    cr_assert_eq(d.year, 2024);
    cr_assert_eq(d.month, 2);
    cr_assert_eq(d.day, 29);
    cr_assert_eq(d.prec, TP_PREC_DAY);
    cr_assert_eq(parse("2000-02-29", &d), 0); /* divisible by 400: leap */
    cr_assert_eq(parse("2025-01", &d), 0);
    cr_assert_eq(d.prec, TP_PREC_MONTH);
    cr_assert_eq(d.month, 1);
    cr_assert_eq(d.day, 0);
    cr_assert_eq(parse("2025", &d), 0);
    cr_assert_eq(d.prec, TP_PREC_YEAR);
    cr_assert_eq(d.month, 0);
    cr_assert_eq(parse("0001-01-01", &d), 0);
    cr_assert_eq(parse("9999-12-31", &d), 0);
    cr_assert_eq(parse("2025-04-30", &d), 0);
}

/* A date as a table cell: what it was parsed from, at its precision. */
Test(dates, label_round_trips)
{
    const char *in[] = {"0001", "0987-03", "2025-12-31", "9999-01-09", "2004-02-29", "1970"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        struct tp_date d;
        char buf[TP_DATE_LABEL_MAX];
        cr_assert_eq(parse(in[i], &d), 0, "%s", in[i]);
        memset(buf, 'x', sizeof(buf));
        cr_assert_eq(tp_date_label(&d, buf), strlen(in[i]), "%s", in[i]);
        cr_assert_str_eq(buf, in[i]);
    }
    struct tp_date none;
    char buf[TP_DATE_LABEL_MAX] = "x";
    cr_assert_eq(parse("2025-13", &none), -1);
    cr_assert_eq(tp_date_label(&none, buf), 0);
    cr_assert_str_eq(buf, "");
}

Test(dates, parse_invalid)
{
    static const char *const bad[] = {
        "2025-02-30", "2025-13",    "0000",       "2025-1",     "2025-01-05x", "2023-02-29",
        "1900-02-29", "2025-00",    "2025-04-31", "2025-01-00", "25-01-05",    "",
        "2025-01-5",  "2025/01/05", " 2025",      "2025-",      "20250105",    "2025-1-05",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tp_date d = {1, 1, 1, TP_PREC_DAY};
        cr_assert_eq(parse(bad[i], &d), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(d.prec, TP_PREC_NONE, "'%s' left a precision", bad[i]);
    }
}

Test(dates, parse_value)
{
    struct tp_date d;
    const char *s;

    s = "2025-01-05T10:00:00Z";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), 0);
    cr_assert(d.year == 2025 && d.month == 1 && d.day == 5 && d.prec == TP_PREC_DAY);
    s = " 2025-01-05 10:00 ";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), 0);
    cr_assert_eq(d.day, 5);
    s = "\t2025-03\r\n";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), 0);
    cr_assert_eq(d.prec, TP_PREC_MONTH);
    s = "2025-01-05x";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), -1);
    s = "2025-02-30T10:00";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), -1);
    s = "5 gennaio 2025";
    cr_assert_eq(tp_date_parse_value(s, strlen(s), &d), -1);
}

struct hdr {
    enum tp_header_kind kind;
    struct tp_date date;
    size_t skip;
    unsigned long line;
    const char *bad;
    size_t bad_len;
};

static struct hdr header(const char *s, int at_eof)
{
    struct hdr h;
    h.kind = tp_date_header(s, strlen(s), at_eof, &h.date, &h.skip, &h.line, &h.bad, &h.bad_len);
    return h;
}

Test(dates, header_same_line_as_text)
{
    const char *s = " date 2025-01 Il presidente russo";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.year, 2025);
    cr_assert_eq(h.date.month, 1);
    cr_assert_eq(h.date.prec, TP_PREC_MONTH);
    cr_assert_str_eq(s + h.skip, "Il presidente russo");
    cr_assert_eq(h.line, 1);
}

Test(dates, header_with_colon_and_newline)
{
    const char *s = "Date: 2025-01-05\nText here";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.prec, TP_PREC_DAY);
    cr_assert_eq(h.date.day, 5);
    cr_assert_str_eq(s + h.skip, "Text here");

    s = "date:2025-01-05\r\nText";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_str_eq(s + h.skip, "Text");
}

Test(dates, header_upper_case_year)
{
    const char *s = "DATE 2025\n\nbody";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.prec, TP_PREC_YEAR);
    cr_assert_eq(h.date.year, 2025);
    cr_assert_str_eq(s + h.skip, "\nbody");
}

Test(dates, header_after_bom_and_blank_lines)
{
    const char *s = "\xEF\xBB\xBF\n \n\tdate 2024-02-29 x";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.day, 29);
    cr_assert_eq(h.line, 3);
    cr_assert_str_eq(s + h.skip, "x");
}

Test(dates, header_alone)
{
    const char *s = "date 2025-01";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.skip, strlen(s));
    /* The value touches the end of a buffer that is not the whole document:
     * it may go on, so no decision is made. */
    h = header(s, 0);
    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_eq(h.skip, 0);
}

Test(dates, not_headers)
{
    static const char *const texts[] = {
        "Date of birth: 1990",
        "Date of the meeting 2025-01-05",
        "dates 2025 were",
        "dated 2025-01",
        "date yesterday we",
        "update 2025-01",
        "date\n2025-01-05 text",
        "date 2025-01-05x text",
        "The date 2025-01",
        "",
        "   \n",
        "date",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct hdr h = header(texts[i], 1);
        cr_assert_eq(h.kind, TP_HDR_NONE, "'%s' taken as a header", texts[i]);
        cr_assert_eq(h.skip, 0, "'%s' skipped", texts[i]);
    }
}

Test(dates, bad_headers_are_still_skipped)
{
    const char *s = "date 2025-13 testo";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_BAD);
    cr_assert_eq(h.bad_len, 7);
    cr_assert_eq(memcmp(h.bad, "2025-13", 7), 0);
    cr_assert_str_eq(s + h.skip, "testo");

    s = "Date: yesterday\nbody";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_BAD);
    cr_assert_eq(h.bad_len, 9);
    cr_assert_str_eq(s + h.skip, "body");

    s = "date 12 text";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_BAD);
}

Test(dates, front_matter)
{
    const char *s = "---\ntitle: Una prova\nDate: '2025-01-05'\ntags: [a, b]\n---\nBody";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert(h.date.year == 2025 && h.date.month == 1 && h.date.day == 5);
    cr_assert_eq(h.line, 3);
    cr_assert_str_eq(s + h.skip, "Body");

    s = "---  \r\ndate: \"2025-01-05T10:00:00Z\"\r\n...\r\nBody";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.prec, TP_PREC_DAY);
    cr_assert_str_eq(s + h.skip, "Body");

    s = "---\ndate: 2025-01-05 10:00 # local time\n---\n";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.day, 5);
    cr_assert_eq(h.skip, strlen(s));

    s = "---\ndate: 2025-02\n---";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_DATE);
    cr_assert_eq(h.date.prec, TP_PREC_MONTH);
    cr_assert_eq(h.skip, strlen(s));
}

Test(dates, front_matter_without_date)
{
    const char *s = "---\ntitle: x\n---\nBody";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_str_eq(s + h.skip, "Body");

    s = "---\ndate:\n---\nBody";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_str_eq(s + h.skip, "Body");

    /* An indented date belongs to a nested mapping. */
    s = "---\nmeta:\n  date: 2025-01-05\n---\nBody";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_str_eq(s + h.skip, "Body");
}

Test(dates, front_matter_bad_date)
{
    const char *s = "---\ntitle: x\ndate: not-a-date\n---\nBody";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_BAD);
    cr_assert_eq(h.line, 3);
    cr_assert_eq(h.bad_len, 10);
    cr_assert_eq(memcmp(h.bad, "not-a-date", 10), 0);
    cr_assert_str_eq(s + h.skip, "Body");
}

Test(dates, unclosed_front_matter_is_text)
{
    const char *s = "---\ndate: 2025-01-05\nBody without a closing line";
    struct hdr h = header(s, 1);

    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_eq(h.skip, 0);
    /* The closing line could lie beyond the buffer: not front matter either. */
    s = "---\ndate: 2025-01-05\n---";
    h = header(s, 0);
    cr_assert_eq(h.kind, TP_HDR_NONE);
    cr_assert_eq(h.skip, 0);
    /* "----" is a rule, not a front matter marker. */
    s = "----\ndate: 2025-01-05\n---\n";
    h = header(s, 1);
    cr_assert_eq(h.kind, TP_HDR_NONE);
}

Test(dates, from_name)
{
    struct tp_date d;

    cr_assert_eq(tp_date_from_name("corpus/it/2024-01-15_inflazione.txt", &d), 0);
    cr_assert(d.year == 2024 && d.month == 1 && d.day == 15 && d.prec == TP_PREC_DAY);
    cr_assert_eq(tp_date_from_name("corpus/it/2024-01_treni.txt", &d), 0);
    cr_assert(d.year == 2024 && d.month == 1 && d.prec == TP_PREC_MONTH);
    /* A day anywhere wins over an earlier month. */
    cr_assert_eq(tp_date_from_name("x/2023-05_report_2024-02-03.txt", &d), 0);
    cr_assert(d.year == 2024 && d.month == 2 && d.day == 3);
    /* Invalid dates are passed over. */
    cr_assert_eq(tp_date_from_name("x/v2-2023-13-01_2024-02-03.txt", &d), 0);
    cr_assert(d.year == 2024 && d.day == 3);
    /* Only the last path component counts. */
    cr_assert_eq(tp_date_from_name("2024-01-15/notes.txt", &d), -1);
    cr_assert_eq(d.prec, TP_PREC_NONE);
    /* Digits glued to the date make it something else. */
    cr_assert_eq(tp_date_from_name("a/12024-01-15.txt", &d), -1);
    cr_assert_eq(tp_date_from_name("a/id2024-013.txt", &d), -1);
    cr_assert_eq(tp_date_from_name("plain.txt", &d), -1);
}

static struct tp_date day(int y, int m, int d)
{
    struct tp_date t = {y, m, d, TP_PREC_DAY};
    return t;
}

static void check_week(struct tp_date d, const char *label, const char *monday)
{
    char buf[32];
    int64_t idx = tp_period_index(&d, TP_PERIOD_WEEK);

    tp_period_label(idx, TP_PERIOD_WEEK, buf, sizeof(buf));
    cr_assert_str_eq(buf, label);
    tp_period_start(idx, TP_PERIOD_WEEK, buf, sizeof(buf));
    cr_assert_str_eq(buf, monday);
}

Test(dates, iso_weeks)
{
    /* Python: date(2021,1,3).isocalendar() == (2020, 53, 7),
     * fromisocalendar(2020, 53, 1) == 2020-12-28. */
    check_week(day(2021, 1, 3), "2020-W53", "2020-12-28");
    /* (2025, 4, 1): 2025-01-20 is the Monday of week 4. */
    check_week(day(2025, 1, 20), "2025-W04", "2025-01-20");
    /* (2025, 1, 1): 2024-12-30 opens ISO year 2025. */
    check_week(day(2024, 12, 30), "2025-W01", "2024-12-30");
    /* (2026, 53, 5): 2027-01-01 is in the last week of 2026. */
    check_week(day(2027, 1, 1), "2026-W53", "2026-12-28");
    /* (1970, 1, 4): the epoch itself. */
    check_week(day(1970, 1, 1), "1970-W01", "1969-12-29");
    /* (1, 1, 1): 0001-01-01 was a Monday (proleptic Gregorian). */
    check_week(day(1, 1, 1), "0001-W01", "0001-01-01");
}

Test(dates, day_index_is_days_since_epoch)
{
    struct tp_date d;

    /* Python: (date(y,m,d) - date(1970,1,1)).days */
    d = day(2021, 1, 3);
    cr_assert_eq(tp_period_index(&d, TP_PERIOD_DAY), 18630);
    d = day(2025, 1, 20);
    cr_assert_eq(tp_period_index(&d, TP_PERIOD_DAY), 20108);
    d = day(1, 1, 1);
    cr_assert_eq(tp_period_index(&d, TP_PERIOD_DAY), -719162);
    d = day(9999, 12, 31);
    cr_assert_eq(tp_period_index(&d, TP_PERIOD_DAY), 2932896);
}

/* Walk every day of 1999..2031: indexes are consecutive, weeks change exactly
 * on Mondays (1970-01-05, day 4, was a Monday), and every label parses back
 * to its own index and kind. */
Test(dates, periods_consecutive_and_round_trip)
{
    static const enum tp_period kinds[] = {TP_PERIOD_YEAR, TP_PERIOD_QUARTER, TP_PERIOD_MONTH,
                                           TP_PERIOD_WEEK, TP_PERIOD_DAY};
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t prev[5] = {0};
    int first = 1;

    for (int y = 1999; y <= 2031; y++) {
        for (int m = 1; m <= 12; m++) {
            int n = dim[m - 1] + (m == 2 && y % 4 == 0); /* no century years here */
            for (int dd = 1; dd <= n; dd++) {
                struct tp_date d = day(y, m, dd);
                int64_t di = tp_period_index(&d, TP_PERIOD_DAY);
                for (size_t k = 0; k < 5; k++) {
                    int64_t idx = tp_period_index(&d, kinds[k]);
                    if (!first) {
                        int changes = (kinds[k] == TP_PERIOD_YEAR && m == 1 && dd == 1) ||
                                      (kinds[k] == TP_PERIOD_QUARTER && m % 3 == 1 && dd == 1) ||
                                      (kinds[k] == TP_PERIOD_MONTH && dd == 1) ||
                                      (kinds[k] == TP_PERIOD_WEEK && ((di - 4) % 7 + 7) % 7 == 0) ||
                                      kinds[k] == TP_PERIOD_DAY;
                        cr_assert_eq(idx, prev[k] + changes, "%d-%d-%d kind %d", y, m, dd,
                                     (int)kinds[k]);
                    }
                    prev[k] = idx;
                    char label[32];
                    enum tp_period kind;
                    int64_t back;
                    tp_period_label(idx, kinds[k], label, sizeof(label));
                    cr_assert_eq(tp_period_parse(label, &kind, &back), 0, "label %s", label);
                    cr_assert_eq(kind, kinds[k]);
                    cr_assert_eq(back, idx, "label %s", label);
                }
                first = 0;
            }
        }
    }
}

Test(dates, labels_and_starts)
{
    struct tp_date d = day(2025, 5, 10);
    char buf[32];
    int64_t idx;

    idx = tp_period_index(&d, TP_PERIOD_YEAR);
    tp_period_label(idx, TP_PERIOD_YEAR, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025");
    tp_period_start(idx, TP_PERIOD_YEAR, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-01-01");

    idx = tp_period_index(&d, TP_PERIOD_QUARTER);
    tp_period_label(idx, TP_PERIOD_QUARTER, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-Q2");
    tp_period_start(idx, TP_PERIOD_QUARTER, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-04-01");

    idx = tp_period_index(&d, TP_PERIOD_MONTH);
    tp_period_label(idx, TP_PERIOD_MONTH, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-05");
    tp_period_start(idx, TP_PERIOD_MONTH, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-05-01");

    /* Python: date(2025,5,10).isocalendar() == (2025, 19, 6): Monday 2025-05-05. */
    idx = tp_period_index(&d, TP_PERIOD_WEEK);
    tp_period_label(idx, TP_PERIOD_WEEK, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-W19");
    tp_period_start(idx, TP_PERIOD_WEEK, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-05-05");

    idx = tp_period_index(&d, TP_PERIOD_DAY);
    tp_period_label(idx, TP_PERIOD_DAY, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-05-10");
    tp_period_start(idx, TP_PERIOD_DAY, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-05-10");

    /* December to January is one step. */
    struct tp_date dec = {2024, 12, 0, TP_PREC_MONTH}, jan = {2025, 1, 0, TP_PREC_MONTH};
    cr_assert_eq(tp_period_index(&jan, TP_PERIOD_MONTH),
                 tp_period_index(&dec, TP_PERIOD_MONTH) + 1);
    cr_assert_eq(tp_period_index(&jan, TP_PERIOD_QUARTER),
                 tp_period_index(&dec, TP_PERIOD_QUARTER) + 1);

    /* A small buffer truncates and stays terminated. */
    tp_period_label(idx, TP_PERIOD_DAY, buf, 5);
    cr_assert_str_eq(buf, "2025");
}

Test(dates, period_parse)
{
    enum tp_period kind;
    int64_t idx;
    char buf[32];

    cr_assert_eq(tp_period_parse("2026-W53", &kind, &idx), 0); /* (2026, 53): exists */
    cr_assert_eq(kind, TP_PERIOD_WEEK);
    tp_period_start(idx, kind, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2026-12-28"); /* Python: fromisocalendar(2026, 53, 1) */
    cr_assert_eq(tp_period_parse("2025-W04", &kind, &idx), 0);
    tp_period_start(idx, kind, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-01-20");
    cr_assert_eq(tp_period_parse("2025-Q3", &kind, &idx), 0);
    cr_assert_eq(kind, TP_PERIOD_QUARTER);
    tp_period_start(idx, kind, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2025-07-01");
    cr_assert_eq(tp_period_parse("2025-07", &kind, &idx), 0);
    cr_assert_eq(kind, TP_PERIOD_MONTH);
    cr_assert_eq(tp_period_parse("2025", &kind, &idx), 0);
    cr_assert_eq(kind, TP_PERIOD_YEAR);
    cr_assert_eq(idx, 2025);
    cr_assert_eq(tp_period_parse("2025-07-14", &kind, &idx), 0);
    cr_assert_eq(kind, TP_PERIOD_DAY);

    /* Python: fromisocalendar(2025, 53, 1) raises "Invalid week: 53". */
    static const char *const bad[] = {"2025-W53", "2025-W00", "2025-W5", "2025-Q0", "2025-Q5",
                                      "2025-13",  "abcd",     "",        "0000",    "2025-W1x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(tp_period_parse(bad[i], &kind, &idx), -1, "accepted '%s'", bad[i]);
}

Test(dates, precisions_and_names)
{
    enum tp_period p;

    cr_assert_eq(tp_period_precision(TP_PERIOD_YEAR), TP_PREC_YEAR);
    cr_assert_eq(tp_period_precision(TP_PERIOD_QUARTER), TP_PREC_MONTH);
    cr_assert_eq(tp_period_precision(TP_PERIOD_MONTH), TP_PREC_MONTH);
    cr_assert_eq(tp_period_precision(TP_PERIOD_WEEK), TP_PREC_DAY);
    cr_assert_eq(tp_period_precision(TP_PERIOD_DAY), TP_PREC_DAY);
    cr_assert_eq(tp_period_for_precision(TP_PREC_YEAR), TP_PERIOD_YEAR);
    cr_assert_eq(tp_period_for_precision(TP_PREC_MONTH), TP_PERIOD_MONTH);
    cr_assert_eq(tp_period_for_precision(TP_PREC_DAY), TP_PERIOD_DAY);
    cr_assert_eq(tp_period_for_precision(TP_PREC_NONE), TP_PERIOD_AUTO);
    cr_assert_str_eq(tp_period_name(TP_PERIOD_QUARTER), "quarter");
    cr_assert_eq(tp_period_from_name("week", &p), 0);
    cr_assert_eq(p, TP_PERIOD_WEEK);
    cr_assert_eq(tp_period_from_name("fortnight", &p), -1);
}

/* --date-from-name over a path (docs/inputs.md, "--date-from-name"):
 * expected dates worked out by hand from the rules. */
static void path_is(const char *path, int y, int m, int d, enum tp_precision prec)
{
    struct tp_date t;
    int rc = tp_date_from_path(path, &t);
    cr_assert_eq(rc, prec == TP_PREC_NONE ? -1 : 0, "%s", path);
    cr_assert(t.prec == prec && t.year == y && t.month == m && t.day == d,
              "%s: got %d-%d-%d prec %d", path, t.year, t.month, t.day, (int)t.prec);
}

Test(dates, from_path_names)
{
    /* a year alone: leading, delimited by _ - . space, or the whole name */
    path_is("1790_george_washington_n.txt", 1790, 0, 0, TP_PREC_YEAR);
    path_is("speech-1801.txt", 1801, 0, 0, TP_PREC_YEAR);
    path_is("the 1999 report.md", 1999, 0, 0, TP_PREC_YEAR);
    path_is("2024", 2024, 0, 0, TP_PREC_YEAR);
    /* glued to letters or digits, or out of 1000..2999: no year */
    path_is("report2024.txt", 0, 0, 0, TP_PREC_NONE);
    path_is("12024_x.txt", 0, 0, 0, TP_PREC_NONE);
    path_is("0999_x.txt", 0, 0, 0, TP_PREC_NONE);
    path_is("3000_x.txt", 0, 0, 0, TP_PREC_NONE);
    /* YYYYMMDD, checked against the calendar */
    path_is("20240115_article.txt", 2024, 1, 15, TP_PREC_DAY);
    path_is("scan-20240229.txt", 2024, 2, 29, TP_PREC_DAY);
    path_is("scan-20230229.txt", 0, 0, 0, TP_PREC_NONE); /* not a leap year, not a year alone */
    path_is("id_123456789.txt", 0, 0, 0, TP_PREC_NONE);
    /* the most precise form wins, whatever comes first */
    path_is("1790_2024-01.txt", 2024, 1, 0, TP_PREC_MONTH);
    path_is("2024-01_report_20230105.txt", 2023, 1, 5, TP_PREC_DAY);
    path_is("1790_1791.txt", 1790, 0, 0, TP_PREC_YEAR);
    /* the earlier rules still hold */
    path_is("2024-01-15_inflazione.txt", 2024, 1, 15, TP_PREC_DAY);
    path_is("report-12024-01-15.txt", 0, 0, 0, TP_PREC_NONE);
}

Test(dates, from_path_folders)
{
    path_is("2024/01/15/article.txt", 2024, 1, 15, TP_PREC_DAY);
    path_is("2024-01/x.txt", 2024, 1, 0, TP_PREC_MONTH);
    path_is("2024/x.txt", 2024, 0, 0, TP_PREC_YEAR);
    path_is("2024/01/x.txt", 2024, 1, 0, TP_PREC_MONTH);
    path_is("2024-01/15/x.txt", 2024, 1, 15, TP_PREC_DAY);
    /* a day the month does not have, a month 13: the chain stops there */
    path_is("2023/02/29/x.txt", 2023, 2, 0, TP_PREC_MONTH);
    path_is("2024/13/01/x.txt", 2024, 0, 0, TP_PREC_YEAR);
    /* the file name does not refine a folder's date (15.txt is not a day) */
    path_is("2024/01/15.txt", 2024, 1, 0, TP_PREC_MONTH);
    /* the most precise date wins; of equal ones the nearest to the name */
    path_is("2024/01/15/report-1999.txt", 2024, 1, 15, TP_PREC_DAY);
    path_is("1999/2000/x.txt", 2000, 0, 0, TP_PREC_YEAR);
    path_is("1999/x_2001.txt", 2001, 0, 0, TP_PREC_YEAR);
    path_is("news_2024-03/2024/x.txt", 2024, 3, 0, TP_PREC_MONTH);
    /* folders that only look like dates */
    path_is("v1/01/15/x.txt", 0, 0, 0, TP_PREC_NONE);
    path_is("a//b/", 0, 0, 0, TP_PREC_NONE);
    path_is("", 0, 0, 0, TP_PREC_NONE);
}
