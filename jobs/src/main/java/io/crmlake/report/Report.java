package io.crmlake.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A run report: sections of charts, tables and notes, rendered to one self-contained HTML page
 * (styles and the one small script inline, charts as inline SVG; a Content-Security-Policy that
 * forbids loading anything else, so the page is the same offline).
 */
public record Report(String title, List<String> facts, List<Section> sections) {

  /** A section: an anchor id, a heading, one line on what it shows, and its blocks. */
  public record Section(String id, String title, String shows, List<Block> blocks) {}

  /** A chart, a table or a note. */
  public sealed interface Block permits Chart, Grid, Note {}

  /** Rows of values under headers; a sortable grid sorts when a header is clicked. */
  public record Grid(String id, List<String> headers, List<List<Object>> rows, boolean sortable)
      implements Block {
    static Grid of(String id, List<String> headers) {
      return new Grid(id, headers, new ArrayList<>(), false);
    }

    Grid add(Object... values) {
      rows.add(java.util.Arrays.asList(values));
      return this;
    }

    Grid asSortable() {
      return new Grid(id, headers, rows, true);
    }
  }

  /** A chart and the numbers it draws (shown under it, folded). */
  public record Chart(String id, String title, String svg, Grid data) implements Block {}

  /** A sentence; a warning is shown in red (a check that failed, a jump in the reject rate). */
  public record Note(String text, boolean warning) implements Block {}

  /** The page. */
  public String html() {
    StringBuilder h = new StringBuilder(1 << 20);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
                + " style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>")
        .append(esc(title))
        .append("</title>\n<script>")
        .append(RECORD_ERRORS)
        .append("</script>\n<style>")
        .append(STYLE)
        .append("</style></head>\n<body>\n<header><h1>")
        .append(esc(title))
        .append("</h1><ul class=\"facts\">");
    facts.forEach(f -> h.append("<li>").append(esc(f)).append("</li>"));
    h.append("</ul><nav>");
    sections.forEach(
        s ->
            h.append("<a href=\"#")
                .append(s.id())
                .append("\">")
                .append(esc(s.title()))
                .append("</a>"));
    h.append("</nav></header>\n<main>\n");
    for (Section s : sections) {
      h.append("<section id=\"")
          .append(s.id())
          .append("\"><h2>")
          .append(esc(s.title()))
          .append("</h2><p class=\"shows\">")
          .append(esc(s.shows()))
          .append("</p>\n");
      for (Block b : s.blocks()) {
        if (b instanceof Chart c) {
          h.append("<figure class=\"chart\" id=\"chart-")
              .append(c.id())
              .append("\">")
              .append(c.svg())
              .append("<details><summary>The numbers of this chart</summary>");
          grid(h, c.data());
          h.append("</details></figure>\n");
        } else if (b instanceof Grid g) {
          grid(h, g);
        } else if (b instanceof Note n) {
          h.append("<p class=\"")
              .append(n.warning() ? "note warning" : "note")
              .append("\">")
              .append(esc(n.text()))
              .append("</p>\n");
        }
      }
      h.append("</section>\n");
    }
    h.append("</main>\n<script>").append(SORT).append("</script>\n</body></html>\n");
    return h.toString();
  }

  private static void grid(StringBuilder h, Grid g) {
    h.append("<table class=\"grid")
        .append(g.sortable() ? " sortable" : "")
        .append("\" id=\"grid-")
        .append(g.id())
        .append("\"><thead><tr>");
    g.headers().forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
    h.append("</tr></thead><tbody>");
    for (List<Object> row : g.rows()) {
      h.append("<tr>");
      for (Object v : row) {
        boolean number = v instanceof Number;
        h.append(number ? "<td class=\"num\" data-value=\"" + v + "\">" : "<td>")
            .append(esc(format(v)))
            .append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</tbody></table>\n");
  }

  /** Integers as they are, other numbers to four significant decimals, null as empty. */
  static String format(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        return String.valueOf(d);
      }
      return Math.abs(d) >= 1000
          ? String.format(Locale.ROOT, "%,.0f", d)
          : String.format(Locale.ROOT, "%.4g", d);
    }
    return String.valueOf(v);
  }

  static String esc(String s) {
    return s == null
        ? ""
        : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /**
   * First in the page: script errors, console errors and blocked loads are written to the page
   * (body data-errors) so a test and a reader can see them.
   */
  private static final String RECORD_ERRORS =
      """
      (function () {
        var errors = [];
        function note(m) {
          errors.push(String(m));
          document.documentElement.setAttribute('data-errors', errors.join(' | '));
        }
        window.addEventListener('error', function (e) { note('error: ' + e.message); });
        document.addEventListener('securitypolicyviolation', function (e) {
          note('blocked: ' + e.blockedURI);
        });
        var original = console.error;
        console.error = function () {
          note('console: ' + Array.prototype.join.call(arguments, ' '));
          original.apply(console, arguments);
        };
      })();
      """;

  /** Click a header of a sortable table to sort by it (numbers by value), again to reverse. */
  private static final String SORT =
      """
      document.querySelectorAll('table.sortable th').forEach(function (th, i) {
        th.addEventListener('click', function () {
          var table = th.closest('table'), body = table.tBodies[0];
          var column = Array.prototype.indexOf.call(th.parentNode.children, th);
          var down = th.getAttribute('data-sort') !== 'down';
          table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-sort'); });
          th.setAttribute('data-sort', down ? 'down' : 'up');
          var rows = Array.prototype.slice.call(body.rows);
          function key(r) {
            var c = r.cells[column];
            var v = c.getAttribute('data-value');
            return v === null ? c.textContent : parseFloat(v);
          }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            var o = x < y ? -1 : x > y ? 1 : 0;
            return down ? -o : o;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
      """;

  private static final String STYLE =
      """
      body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0;
        color: #222; background: #f6f7f9; }
      header { background: #1f2d3d; color: #fff; padding: 16px 32px; }
      header h1 { margin: 0 0 6px; font-size: 22px; }
      .facts { list-style: none; padding: 0; margin: 0 0 8px; font-size: 13px; opacity: .85; }
      .facts li { display: inline; margin-right: 18px; }
      nav a { color: #9cc3ff; margin-right: 14px; font-size: 14px; text-decoration: none; }
      main { max-width: 1600px; margin: 0 auto; padding: 8px 24px; display: block; }
      section { background: #fff; border-radius: 6px; padding: 8px 20px 16px; margin: 16px 0;
        box-shadow: 0 1px 3px rgba(0,0,0,.08); display: flex; flex-wrap: wrap; gap: 0 24px; }
      section > h2, section > p, section > table { flex-basis: 100%; }
      section h2 { margin: 12px 0 2px; font-size: 19px; }
      p.shows { color: #555; margin: 0 0 10px; font-style: italic; }
      figure.chart { margin: 8px 0; flex: 1 1 640px; max-width: 760px; }
      figure.chart svg { width: 100%; height: auto; display: block; }
      details summary { font-size: 12px; color: #666; cursor: pointer; }
      table.grid { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 10px; }
      table.grid th, table.grid td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px;
        text-align: left; }
      table.grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
      table.sortable th { cursor: pointer; background: #eef2f7; }
      table.sortable th[data-sort=down]::after { content: ' \\25BC'; }
      table.sortable th[data-sort=up]::after { content: ' \\25B2'; }
      p.note { font-size: 14px; margin: 4px 0; }
      p.warning { color: #b00020; font-weight: 600; }
      """;
}
