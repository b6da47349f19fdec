package org.stowage.staging;

import java.util.stream.Collectors;
import org.stowage.ExternalResourceException;

/**
 * Thrown by {@link ContentCollector#collect()}, when it is not a dry run, if the stores hold
 * unreadable references: objects outside the content tree that are damaged (their bytes do not
 * match what the store recorded) or malformed (they begin with the reference magic but do not
 * parse). The content such an object named cannot be told from garbage, so the collection deleted
 * nothing. {@link #report()} lists them; the message names the first few and what to do.
 *
 * <p>Like {@code git gc} facing a corrupt object: the repair is the user's. Find every problem
 * with a {@link ReferenceCheck}; restore each damaged reference (rerun the unit that wrote it, or
 * store it again from a copy; then {@link ReferenceCheck#relink} it if its content moved), or
 * delete it if the content it held may go; then collect again.
 */
public final class CollectionRefusedException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  private final transient CollectionReport report;

  CollectionRefusedException(String collector, CollectionReport report, int named) {
    super(
        collector + ": collection refused, nothing was deleted: " + report.unreadableCount()
            + " object" + (report.unreadableCount() == 1 ? "" : "s") + " outside the content tree may be"
            + " damaged content references, so the content they name cannot be told from garbage: "
            + report.unreadable().stream()
                .limit(named)
                .map(u -> u.location() + " (" + u.reason() + ": " + u.detail() + ")")
                .collect(Collectors.joining("; "))
            + (report.unreadableCount() > named ? "; ..." : "")
            + ". Check the store with a ReferenceCheck; restore each damaged reference (rerun the unit"
            + " that wrote it, or store it again from a copy) or delete it if what it held may go,"
            + " then collect again (docs/staging.md, \"Lifecycle\")",
        report.unreadable().isEmpty() ? null : report.unreadable().get(0).location(),
        null);
    this.report = report;
  }

  /**
   * What the collection found before it refused to sweep: {@link CollectionReport#refused()} is
   * true, and {@link CollectionReport#unreadable()} lists the objects.
   *
   * @return the report, with nothing reclaimed; {@code null} only after deserialization
   */
  public CollectionReport report() {
    return report;
  }
}
