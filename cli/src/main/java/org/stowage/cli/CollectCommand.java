package org.stowage.cli;

import org.stowage.ExternalStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.staging.CollectionRefusedException;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "gc",
    description = {
      "Collect the content that no content reference in the store refers to (docs/staging.md,"
          + " \"Lifecycle\"): safe while units transfer, and safe to rerun after a kill.",
      "Output: one line with what was listed, reclaimable and reclaimed; with --json, an object."
          + " Exit 1 if references name absent content (dangling), which the collection never"
          + " repairs.",
      "A damaged or malformed content reference (an object outside the content tree whose bytes do"
          + " not match what the store recorded, or that begins with the reference magic but does not"
          + " parse) makes the collection sweep nothing: each is an \"unreadable reference LOCATION:"
          + " REASON detail\" line on stderr, and the exit is 1. Check the store with verify"
          + " --references; restore or delete each, then collect again."
    })
final class CollectCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Option(names = "--dry-run", description = "Report what would be reclaimed; delete nothing.")
  boolean dryRun;

  @Option(names = "--cas-prefix", defaultValue = "cas", paramLabel = "PREFIX",
      description = "Where the content lives in the store (default: ${DEFAULT-VALUE}).")
  String casPrefix;

  @Option(names = "--json", description = "JSON.")
  boolean json;

  @Override
  public Integer call() {
    CollectionReport r;
    try (ExternalStorage storage = open(store)) {
      ContentAddressedStore cas = ContentAddressedStore.builder(storage).prefix(casPrefix).build();
      try {
        r = ContentCollector.builder(cas).dryRun(dryRun).build().collect();
      } catch (CollectionRefusedException e) {
        r = e.report(); // nothing was deleted; the lines below say why
      }
    }
    out().println(json
        ? Json.object("dryRun", r.dryRun(), "objectsListed", r.objectsListed(), "references", r.references(),
            "contentObjects", r.contentObjects(), "reclaimableObjects", r.reclaimableObjects(),
            "reclaimableBytes", r.reclaimableBytes(), "reclaimedObjects", r.reclaimedObjects(),
            "reclaimedBytes", r.reclaimedBytes(), "dangling", r.danglingCount(),
            "unreadable", r.unreadableCount())
        : (r.dryRun() ? "dry run: " : "") + r.contentObjects() + " content objects, " + r.references()
            + " references; " + r.reclaimableObjects() + " unreferenced (" + r.reclaimableBytes()
            + " bytes); reclaimed " + r.reclaimedObjects() + " (" + r.reclaimedBytes() + " bytes); "
            + r.danglingCount() + " dangling"
            + (r.refused() ? "; " + r.unreadableCount() + " unreadable references: sweep refused, nothing deleted" : ""));
    r.dangling().forEach(d -> err().println("dangling reference " + d.location() + " -> " + d.digest()));
    r.unreadable().forEach(u -> err().println("unreadable reference " + u.location() + ": " + u.reason() + " " + u.detail()));
    return r.danglingCount() > 0 || r.refused() ? ExitCode.REFUSED : ExitCode.OK;
  }
}
