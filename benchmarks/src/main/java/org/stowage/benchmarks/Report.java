package org.stowage.benchmarks;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of one run of the suite, as markdown (the ratio table and the memory checks) and as
 * an SVG bar chart of the ratios.
 *
 * @param profile the profile that ran
 * @param machine where it ran
 * @param rows the ratio table
 * @param heap the listing heap probe's results, empty if it did not run
 * @param bigStream the bounded-memory checks' outcomes, empty if they did not run
 * @param seconds how long the run took
 */
record Report(
    BenchProfile profile,
    RunBenchmarks.Machine machine,
    List<Comparison.Row> rows,
    List<ListingHeapProbe.Result> heap,
    List<BigStreamCheck.Outcome> bigStream,
    double seconds) {

  /** Functional failures: benchmarks that did not run, checks that failed. */
  List<String> failures() {
    List<String> failures = new ArrayList<>();
    for (Comparison.Row row : rows) {
      Comparison c = row.comparison();
      if (row.op().isEmpty()) {
        failures.add(c.operation() + " " + row.describeParams() + ": no result (it failed, see the JMH output)");
      }
      if (row.base().isEmpty()) {
        failures.add(c.baseline() + " " + row.describeParams() + ": no result (it failed, see the JMH output)");
      }
      row.op()
          .map(m -> m.secondary().get("writes"))
          .filter(w -> w != 0)
          .ifPresent(w -> failures.add(c.operation() + ": " + w + " writes, expected none (rule C2)"));
    }
    for (ListingHeapProbe.Result r : heap) {
      if (!r.holdsAPage()) {
        failures.add("iterContents on " + r.backend() + " held " + mib(r.heldWhileIterating())
            + " while iterating, more than " + ListingHeapProbe.RATIO_LIMIT
            + " of the " + mib(r.heldByList()) + " a list of all keys holds (rule I3)");
      }
    }
    bigStream.stream().filter(o -> !o.passed())
        .forEach(o -> failures.add("the bounded-memory check of " + o.backend() + " failed:\n" + o.output()));
    return failures;
  }

  /** The report as markdown. */
  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Stowage benchmarks: ratios to raw baselines\n\n");
    md.append(String.format(Locale.ROOT,
        "Profile **%s**, %s, %.0f s. Machine: %d CPUs (%s), %s, %s. Load average %s at the start, %s at the end.%n%n",
        profile.name().toLowerCase(Locale.ROOT),
        ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")),
        seconds, machine.cpus(), machine.cpuModel(), machine.java(), machine.os(),
        load(machine.loadAtStart()), load(machine.loadAtEnd())));
    md.append("Ratio = Stowage's speed / the baseline's speed, both measured in this run on the same bytes"
        + " (above 1: Stowage is faster). ± is JMH's 99.9% confidence half-width.\n\n");
    md.append("| # | Operation (vs baseline) | Parameters | Threads | Stowage | Baseline | Ratio | Target | Met |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Comparison.Row row : rows) {
      Comparison c = row.comparison();
      String extra = row.op().map(m -> m.secondary().get("writes"))
          .map(w -> String.format(Locale.ROOT, " (writes: %.0f)", w)).orElse("");
      md.append(String.format(Locale.ROOT, "| %s | %s%s | %s | %d | %s | %s | %s | %s | %s |%n",
          c.id(), c.what(), extra, row.describeParams(), row.threads(),
          row.op().map(m -> c.rate().format(m)).orElse("FAILED"),
          row.base().map(m -> c.rate().format(m)).orElse("FAILED"),
          row.complete() ? String.format(Locale.ROOT, "%.2f", row.ratio()) : "-",
          Double.isNaN(c.minRatio()) ? "-" : "≥ " + target(c.minRatio()),
          row.met().map(m -> m ? "yes" : "**no**").orElse("-")));
    }
    if (!heap.isEmpty() || !bigStream.isEmpty()) {
      md.append("\n| # | Memory check | Result | Target | Met |\n|---|---|---|---|---|\n");
      for (ListingHeapProbe.Result r : heap) {
        md.append(String.format(Locale.ROOT,
            "| 7 | heap held by iterContents() on %s, %,d objects, half consumed | %s while iterating;"
                + " %s for a list of all keys (ratio %.3f) | ≤ %.1f of the list, or ≤ %s | %s |%n",
            r.backend(), r.objects(), mib(r.heldWhileIterating()), mib(r.heldByList()), r.ratio(),
            ListingHeapProbe.RATIO_LIMIT, mib(ListingHeapProbe.PAGE_BYTES),
            r.holdsAPage() ? "yes" : "**no**"));
      }
      bigStream.forEach(o -> md.append(String.format(Locale.ROOT,
          "| S4 | %s stream stored and loaded (verified) through %s, -Xmx%s | %s | completes | %s |%n",
          Comparison.humanize("bytes", o.values().getOrDefault("bytes", "?")),
          o.backend().equals("s3") ? "S3Storage (s3proxy in the same JVM)" : "FileStorage",
          o.maxHeap(),
          o.passed()
              ? String.format(Locale.ROOT,
                  "peak heap used %s of %s (stored in %.1f s, loaded in %.1f s; not a speed test:"
                      + " the generator hashes its own MD5 on the storing thread)",
                  mib((long) o.number("peakHeapBytes")), mib((long) o.number("maxHeapBytes")),
                  o.number("storeSeconds"), o.number("loadSeconds"))
              : "failed (exit " + o.exitCode() + ")",
          o.passed() ? "yes" : "**no**")));
    }
    return md.toString();
  }

  /** A horizontal bar chart of the ratios, with each target marked. */
  String svg() {
    List<Comparison.Row> shown = rows.stream().filter(Comparison.Row::complete).toList();
    int rowHeight = 26;
    int labelWidth = 560;
    int chartWidth = 420;
    double max = Math.max(2.0, shown.stream().mapToDouble(Comparison.Row::ratio).max().orElse(1));
    int height = 60 + rowHeight * shown.size();
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
        labelWidth + chartWidth + 60, height));
    svg.append(String.format(Locale.ROOT,
        "<text x=\"10\" y=\"20\" font-size=\"14\">Stowage / raw baseline (profile %s; %d CPUs, %s)</text>%n",
        profile.name().toLowerCase(Locale.ROOT), machine.cpus(), escape(machine.cpuModel())));
    double x1 = labelWidth + chartWidth / max;
    svg.append(String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>%n"
            + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">1.0</text>%n",
        x1, x1, height - 20, x1, height - 6));
    int y = 36;
    for (Comparison.Row row : shown) {
      Comparison c = row.comparison();
      String label = c.id() + ". " + c.what() + " [" + row.describeParams()
          + (row.threads() > 1 ? ", " + row.threads() + " threads" : "") + "]";
      double w = chartWidth * row.ratio() / max;
      String colour = row.met().map(m -> m ? "#3a8f3a" : "#c0392b").orElse("#5b7db1");
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", labelWidth - 8, y + 14, escape(label)));
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
          labelWidth, y + 2, w, rowHeight - 8, colour));
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\">%.2f</text>%n", labelWidth + w + 4, y + 14, row.ratio()));
      if (!Double.isNaN(c.minRatio())) {
        double tx = labelWidth + chartWidth * c.minRatio() / max;
        svg.append(String.format(Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" stroke-width=\"2\"/>%n",
            tx, y, tx, y + rowHeight - 4));
      }
      y += rowHeight;
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String load(double load) {
    return Double.isNaN(load) ? "unknown" : String.format(Locale.ROOT, "%.2f", load);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
  }

  /** A target as written in the issues: one decimal, or two where one would round it (1/1.5 is 0.67, not 0.7). */
  static String target(double ratio) {
    String one = String.format(Locale.ROOT, "%.1f", ratio);
    return Double.parseDouble(one) == ratio ? one : String.format(Locale.ROOT, "%.2f", ratio);
  }
}
