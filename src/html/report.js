/* report.html's script (compiled into tempora: src/html/embed.sh).
 *
 * Reads the tables from the JSON script element #tempora-data
 * and builds the page. Every cell is the CSV's own text; anything from the
 * data reaches the page through textContent or an attribute value, never as
 * markup. The timeline is drawn by uPlot (src/vendor/uplot/), the 95%
 * intervals as bands under its lines (a drawAxes hook). window.temporaReport
 * exposes the chart and its data (tests/browser/ reads it). */
(function () {
    "use strict";
    var DATA = JSON.parse(document.getElementById("tempora-data").textContent);
    var T = DATA.tables || {};
    var main = document.getElementById("main");
    var toc = document.getElementById("toc");
    var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf"];
    main.textContent = "";

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined && text !== null) e.textContent = String(text);
        return e;
    }
    function idx(t, name) { return t ? t.columns.indexOf(name) : -1; }
    function num(s) { return s === "" || s === undefined || s === null ? null : Number(s); }
    /* a number for reading: 4 significant digits (the full value in the title) */
    function shown(s) {
        if (s === "" || s === undefined) return "";
        if (/^-?\d+$/.test(s)) return s;
        var v = Number(s);
        if (!isFinite(v)) return s;
        var a = Math.abs(v);
        if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
        return String(Number(v.toPrecision(4)));
    }
    function section(id, title) {
        var s = el("section");
        s.id = id;
        s.appendChild(el("h2", null, title));
        main.appendChild(s);
        var a = el("a", null, title);
        a.href = "#" + id;
        toc.appendChild(a);
        return s;
    }
    function cutNote(parent, t, what) {
        if (t && t.total > t.kept)
            parent.appendChild(el("p", "note", "Showing the first " + t.kept + " of " + t.total +
                " " + what + "; the CSV table has them all."));
    }

    /* A table of columns `cols` of t, sortable by a click on a header, with an
     * optional filter box; at most `limit` rows shown. */
    function table(parent, t, cols, limit, filter) {
        var ci = cols.map(function (c) { return idx(t, c); }).filter(function (i) { return i >= 0; });
        var kinds = t.kinds || "";
        var rows = t.rows.slice();
        var sortCol = -1, sortDir = 1, query = "";
        var wrap = el("div", "tablewrap");
        if (filter) {
            var box = el("input", "filter");
            box.type = "search";
            box.placeholder = "filter rows";
            box.addEventListener("input", function () { query = box.value.toLowerCase(); draw(); });
            parent.appendChild(box);
        }
        var tab = el("table", "data");
        var thead = el("thead"), tr = el("tr");
        ci.forEach(function (c, k) {
            var th = el("th", kinds[c] === "n" ? "num" : null, t.columns[c]);
            th.title = "sort by " + t.columns[c];
            th.addEventListener("click", function () {
                sortDir = sortCol === c ? -sortDir : (kinds[c] === "n" ? -1 : 1);
                sortCol = c;
                draw();
            });
            tr.appendChild(th);
        });
        thead.appendChild(tr);
        tab.appendChild(thead);
        var tbody = el("tbody");
        tab.appendChild(tbody);
        wrap.appendChild(tab);
        parent.appendChild(wrap);
        var count = el("p", "note");
        parent.appendChild(count);
        function draw() {
            var list = rows;
            if (query)
                list = list.filter(function (r) {
                    return ci.some(function (c) { return kinds[c] !== "n" && r[c].toLowerCase().indexOf(query) >= 0; });
                });
            if (sortCol >= 0) {
                var n = kinds[sortCol] === "n";
                list = list.slice().sort(function (a, b) {
                    var x = a[sortCol], y = b[sortCol];
                    if (n) {
                        x = num(x); y = num(y);
                        if (x === null) return y === null ? 0 : 1;
                        if (y === null) return -1;
                        return (x - y) * sortDir;
                    }
                    return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
                });
            }
            tbody.textContent = "";
            list.slice(0, limit).forEach(function (r) {
                var row = el("tr");
                ci.forEach(function (c) {
                    var td;
                    if (kinds[c] === "n") {
                        td = el("td", "num", shown(r[c]));
                        td.title = r[c];
                    } else {
                        td = el("td", null, r[c]);
                    }
                    row.appendChild(td);
                });
                tbody.appendChild(row);
            });
            count.textContent = list.length > limit ? "First " + limit + " of " + list.length + " rows shown." : "";
        }
        draw();
    }

    /* ---- run and summary ---- */
    var man = {};
    if (T.manifest) T.manifest.rows.forEach(function (r) { man[r[0]] = r[1]; });
    var run = document.getElementById("run");
    run.textContent = [man.tempora_version ? "tempora " + man.tempora_version : DATA.generator,
        man.start_time || "", man.command_line || ""].filter(Boolean).join(" · ");
    var sum = section("summary", "Summary");
    if (T.summary && T.summary.rows.length) {
        var dl = el("dl", "summary");
        T.summary.rows.forEach(function (r) {
            dl.appendChild(el("dt", null, r[0].replace(/_/g, " ")));
            var dd = el("dd", null, shown(r[1]));
            dd.title = r[1];
            dl.appendChild(dd);
        });
        sum.appendChild(dl);
    }

    /* ---- timeline ---- */
    var ts = section("timeline", "Timeline");
    var tl = T.timeline;
    var periods = [], terms = [], raw = [], lo = [], hi = [];
    if (tl && tl.rows.length) {
        var cP = idx(tl, "period");
        if (idx(tl, "term") >= 0) {
            var cT = idx(tl, "term"), cV = idx(tl, "per_million"), cL = idx(tl, "ci_low"), cH = idx(tl, "ci_high");
            var pAt = {}, tAt = {};
            tl.rows.forEach(function (r) {
                var p = pAt[r[cP]];
                if (p === undefined) { p = pAt[r[cP]] = periods.length; periods.push(r[cP]); }
                var k = tAt[r[cT]];
                if (k === undefined) { k = tAt[r[cT]] = terms.length; terms.push(r[cT]); raw.push([]); lo.push([]); hi.push([]); }
                raw[k][p] = r[cV];
                lo[k][p] = r[cL];
                hi[k][p] = r[cH];
            });
        } else { /* --wide: period, period_tokens, one column a term */
            for (var c = 2; c < tl.columns.length; c++) { terms.push(tl.columns[c]); raw.push([]); }
            tl.rows.forEach(function (r, p) {
                periods.push(r[cP]);
                for (var c2 = 2; c2 < tl.columns.length; c2++) raw[c2 - 2][p] = r[c2];
            });
            lo = null;
            hi = null;
        }
        terms.forEach(function (t, k) {
            for (var p = 0; p < periods.length; p++) {
                if (raw[k][p] === undefined) raw[k][p] = "";
                if (lo && lo[k][p] === undefined) { lo[k][p] = ""; hi[k][p] = ""; }
            }
        });
    }
    if (!terms.length) {
        ts.appendChild(el("p", "note", "No dated documents: no timeline."));
    } else {
        ts.appendChild(el("p", "note", "Occurrences per million tokens of each period" +
            (lo ? ", with 95% confidence intervals as bands" : "") +
            ". Point at the chart to read the values; click a term in the legend to show or hide it (the first 8 are shown at first); drag across the chart, or pick periods below, to zoom."));
        var controls = el("div", "controls");
        var from = el("select"), to = el("select");
        periods.forEach(function (p, i) {
            var o1 = el("option", null, p); o1.value = String(i); from.appendChild(o1);
            var o2 = el("option", null, p); o2.value = String(i); to.appendChild(o2);
        });
        to.value = String(periods.length - 1);
        var lab = el("label", null, "from "); lab.appendChild(from); controls.appendChild(lab);
        lab = el("label", null, " to "); lab.appendChild(to); controls.appendChild(lab);
        var reset = el("button", null, "whole timeline"); controls.appendChild(reset);
        var bandsBox = el("input");
        bandsBox.type = "checkbox";
        bandsBox.checked = !!lo;
        bandsBox.disabled = !lo;
        lab = el("label", null, " "); lab.appendChild(bandsBox); lab.appendChild(document.createTextNode(" 95% bands"));
        controls.appendChild(lab);
        var all = el("button", null, "all terms"), none = el("button", null, "no terms");
        controls.appendChild(all);
        controls.appendChild(none);
        ts.appendChild(controls);
        var box = el("div", "chart");
        ts.appendChild(box);
        cutNote(ts, tl, "timeline rows (the report keeps the first 100 terms)");

        var xs = periods.map(function (p, i) { return i; });
        var data = [xs].concat(raw.map(function (a) { return a.map(num); }));
        var loN = lo ? lo.map(function (a) { return a.map(num); }) : null;
        var hiN = hi ? hi.map(function (a) { return a.map(num); }) : null;
        var color = function (k) { return COLORS[k % COLORS.length]; };
        var series = [{
            label: "period",
            value: function (u, v, si, i) { return i === null || i === undefined ? "–" : periods[i]; }
        }];
        terms.forEach(function (t, k) {
            series.push({
                label: t,
                stroke: color(k),
                width: 2,
                dash: k >= COLORS.length ? [6, 3] : undefined,
                spanGaps: false,
                show: k < 8, /* the first 8 at first, like timeline.svg; the legend shows the rest */
                points: { show: periods.length <= 60, size: 5 },
                value: function (u, v, si, i) {
                    if (i === null || i === undefined) return "–";
                    var s = raw[si - 1][i];
                    return s === "" ? "–" : s;
                }
            });
        });
        var xWin = [0, periods.length - 1]; /* the x range shown (u.scales.x lags in hooks) */
        var yMax = function (u) {
            var m = 0, a, b = bandsBox.checked && hiN;
            var x0 = xWin[0], x1 = xWin[1];
            for (var k = 0; k < terms.length; k++) {
                if (u.series[k + 1] && !u.series[k + 1].show) continue;
                a = b ? hiN[k] : data[k + 1];
                for (var i = 0; i < a.length; i++)
                    if (a[i] !== null && i >= x0 - 1 && i <= x1 + 1 && a[i] > m) m = a[i];
            }
            return m > 0 ? m * 1.05 : 1;
        };
        var drawBands = function (u) {
            if (!bandsBox.checked || !loN) return;
            var ctx = u.ctx;
            ctx.save();
            ctx.beginPath();
            ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
            ctx.clip();
            ctx.globalAlpha = 0.12;
            for (var k = 0; k < terms.length; k++) {
                if (!u.series[k + 1].show) continue;
                ctx.fillStyle = color(k);
                var L = loN[k], H = hiN[k], i = 0, n = L.length;
                while (i < n) {
                    while (i < n && (L[i] === null || H[i] === null)) i++;
                    var j = i;
                    while (j < n && L[j] !== null && H[j] !== null) j++;
                    if (j > i) {
                        ctx.beginPath();
                        for (var a = i; a < j; a++) {
                            var px = u.valToPos(a, "x", true), py = u.valToPos(H[a], "y", true);
                            if (a === i) ctx.moveTo(px, py); else ctx.lineTo(px, py);
                        }
                        for (var b2 = j - 1; b2 >= i; b2--)
                            ctx.lineTo(u.valToPos(b2, "x", true), u.valToPos(L[b2], "y", true));
                        ctx.closePath();
                        if (j - i === 1) { /* one point: a short bar */
                            var x = u.valToPos(i, "x", true);
                            ctx.fillRect(x - 3, u.valToPos(H[i], "y", true), 6,
                                u.valToPos(L[i], "y", true) - u.valToPos(H[i], "y", true));
                        } else {
                            ctx.fill();
                        }
                    }
                    i = j;
                }
            }
            ctx.restore();
        };
        var syncing = false;
        var width = function () { return Math.max(320, Math.min(1200, (box.clientWidth || main.clientWidth || 900))); };
        var opts = {
            width: width(),
            height: 420,
            scales: { x: { time: false }, y: { range: function (u) { return [0, yMax(u)]; } } },
            series: series,
            axes: [
                {
                    values: function (u, splits) {
                        return splits.map(function (v) { return Number.isInteger(v) && periods[v] !== undefined ? periods[v] : ""; });
                    },
                    space: 60,
                    incrs: [1, 2, 3, 4, 6, 12, 24, 48, 96, 192, 384, 768, 1536, 3072, 6144, 12288]
                },
                { label: "per million tokens", size: 70 }
            ],
            cursor: { drag: { x: true, y: false }, points: { size: 7 } },
            legend: { live: true },
            hooks: {
                drawAxes: [drawBands],
                setScale: [function (u, key) {
                    if (key !== "x" || syncing) return;
                    var a = Math.max(0, Math.ceil(u.scales.x.min)), b = Math.min(periods.length - 1, Math.floor(u.scales.x.max));
                    from.value = String(a);
                    to.value = String(Math.max(a, b));
                    /* the y range was taken before x changed: again, for the new x */
                    xWin = [u.scales.x.min, u.scales.x.max];
                    /* (after this commit: uPlot takes no new scale within one) */
                    Promise.resolve().then(function () { u.setScale("y", { min: 0, max: yMax(u) }); });
                }]
            }
        };
        var chart = new uPlot(opts, data, box);
        var zoom = function (a, b) {
            if (b < a) { var t = a; a = b; b = t; }
            if (a === b) { a -= 0.5; b += 0.5; }
            chart.setScale("x", { min: a, max: b });
        };
        from.addEventListener("change", function () { zoom(Number(from.value), Number(to.value)); });
        to.addEventListener("change", function () { zoom(Number(from.value), Number(to.value)); });
        reset.addEventListener("click", function () { zoom(0, periods.length - 1); });
        bandsBox.addEventListener("change", function () { chart.setScale("y", { min: 0, max: yMax(chart) }); });
        all.addEventListener("click", function () { terms.forEach(function (t, k) { chart.setSeries(k + 1, { show: true }); }); });
        none.addEventListener("click", function () { terms.forEach(function (t, k) { chart.setSeries(k + 1, { show: false }); }); });
        window.addEventListener("resize", function () { chart.setSize({ width: width(), height: 420 }); });
        window.temporaReport = { chart: chart, periods: periods, terms: terms, values: raw, ciLow: lo, ciHigh: hi, zoom: zoom };
    }

    /* ---- the tables ---- */
    if (T.trends && T.trends.rows.length) {
        var tr = section("trends", "Trends");
        tr.appendChild(el("p", "note", "Theil–Sen slope (per million per period) and Mann–Kendall test of each timeline term."));
        table(tr, T.trends, ["term", "periods", "total", "slope_per_period", "tau", "mk_z", "p_value", "direction"], 1000, false);
    }
    if (T.freq) {
        var fq = section("terms", "Top terms");
        table(fq, T.freq, ["rank", "term", "count", "per_million", "doc_freq", "dp"], 100, true);
        cutNote(fq, T.freq, "terms");
    }
    if (T.collocations) {
        var co = section("collocations", "Collocations");
        table(co, T.collocations, ["rank", "w1", "w2", "n12", "n1", "n2", "log_likelihood", "pmi", "t_score", "log_dice", "p_value"], 100, true);
        cutNote(co, T.collocations, "pairs");
    }
    var ky = section("keyness", "Keyness");
    if (T.keyness) {
        table(ky, T.keyness, ["rank", "term", "count_target", "count_reference", "log_likelihood", "q_value", "log_ratio", "direction"], 100, true);
        cutNote(ky, T.keyness, "terms");
    } else {
        ky.appendChild(el("p", "note", "No keyness table in this run (analyze with --target and --reference)."));
    }
    if (T.tfidf) {
        var dc = section("documents", "Documents");
        dc.appendChild(el("p", "note", "The most characteristic terms of each document (TF-IDF)."));
        table(dc, T.tfidf, ["doc_id", "date", "rank", "term", "count", "tfidf"], 200, true);
        cutNote(dc, T.tfidf, "rows");
    }
    window.temporaReport = window.temporaReport || {};
    window.temporaReport.readyMs = performance.now(); /* bench/report_render.py */
})();
