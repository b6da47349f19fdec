package org.stowage.cli;

import java.util.Iterator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify",
    description = {
      "The store's fsck: re-read every object under PREFIX and check its bytes against its"
          + " recorded MD5 and size (rule R4).",
      "Output: one line per object found damaged (\"damaged LOCATION: why\"), missing (listed,"
          + " then gone) or failed (could not be read), then a summary line; with --json, one"
          + " object per object checked ({\"location\",\"status\",...}) and a summary object."
          + " Exit 0 if every object is sound, 1 if any is damaged or missing, 3 if the store"
          + " failed."
    })
final class VerifyCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", description = "Only locations that start with it.")
  String prefix = "";

  @Option(names = "--parallel", paramLabel = "N", description = "Objects read at once (default: ${DEFAULT-VALUE}).")
  int parallel = 4;

  @Option(names = "--json", description = "JSON lines.")
  boolean json;

  @Option(names = "--references", description = "Also check the content references: each must"
      + " name content that is present and whole (ReferenceCheck; content read whole and checked"
      + " against its SHA-256). Problems are \"reference LOCATION: KIND detail\" lines; KIND is"
      + " MISSING or DAMAGED (the content), DAMAGED_REFERENCE or MALFORMED_REFERENCE (the reference"
      + " itself: its bytes do not match what the store recorded, or it does not parse).")
  boolean references;

  @Option(names = "--cas-prefix", defaultValue = "cas", paramLabel = "PREFIX",
      description = "With --references: where the content lives (default: ${DEFAULT-VALUE}).")
  String casPrefix;

  private org.stowage.staging.ReferenceCheck.Report referenceReport;

  private final AtomicLong sound = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong damaged = new AtomicLong();
  private final AtomicLong missing = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  @Override
  public Integer call() throws InterruptedException {
    if (parallel < 1) {
      throw new Failures.UsageException("--parallel must be at least 1, got " + parallel);
    }
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    Semaphore inFlight = new Semaphore(parallel * 2);
    try (ExternalStorage storage = open(store);
        Progress progress = Progress.start("verify", -1, false, progressAllowed(json));
        Stream<String> listing = storage.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      long listed = 0;
      try {
        while (locations.hasNext()) {
          String location = locations.next();
          listed++;
          inFlight.acquire();
          pool.execute(
              () -> {
                try {
                  check(storage, location);
                } finally {
                  progress.step(1);
                  inFlight.release();
                }
              });
        }
        progress.total(listed); // the listing has ended: the total is known
      } finally {
        pool.shutdown();
        pool.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
      }
      if (references) {
        referenceReport = org.stowage.staging.ReferenceCheck.builder(
                org.stowage.cas.ContentAddressedStore.builder(storage).prefix(casPrefix).build())
            .verifyFraction(1.0)
            .build()
            .check();
      }
    } finally {
      pool.shutdownNow();
    }
    long checked = sound.get() + damaged.get() + missing.get() + failed.get();
    if (json) {
      out().println(
          Json.object("checked", checked, "sound", sound.get(), "bytes", bytes.get(), "damaged", damaged.get(),
              "missing", missing.get(), "failed", failed.get()));
    } else {
      out().println(
          "checked " + checked + " objects: " + sound.get() + " sound (" + bytes.get() + " bytes), "
              + damaged.get() + " damaged, " + missing.get() + " missing, " + failed.get() + " failed");
    }
    long badReferences = 0;
    if (referenceReport != null) {
      badReferences = referenceReport.problemCount();
      for (org.stowage.staging.ReferenceCheck.Problem p : referenceReport.problems()) {
        out().println(json
            ? Json.object("reference", p.location(), "status", p.kind().toString(), "detail", p.detail())
            : "reference " + p.location() + ": " + p.kind() + " " + p.detail());
      }
      out().println(json
          ? Json.object("references", referenceReport.references(), "problems", badReferences,
              "unreferenced", referenceReport.unreferencedCount())
          : "checked " + referenceReport.references() + " references: " + badReferences
              + " to missing or damaged content or damaged themselves, " + referenceReport.unreferencedCount()
              + " content objects unreferenced");
    }
    if (failed.get() > 0) {
      return ExitCode.UNREACHABLE;
    }
    return damaged.get() + missing.get() + badReferences > 0 ? ExitCode.REFUSED : ExitCode.OK;
  }

  private void check(ExternalStorage storage, String location) {
    try {
      Metadata m = storage.verify(location);
      sound.incrementAndGet();
      bytes.addAndGet(m.size());
      if (json) {
        print(Json.object("location", location, "status", "sound", "size", m.size(), "md5", m.md5()));
      }
    } catch (ChangedExternalResourceException e) {
      damaged.incrementAndGet();
      problem(location, "damaged", e);
    } catch (MissingExternalResourceException e) {
      missing.incrementAndGet();
      problem(location, "missing", e);
    } catch (RuntimeException e) {
      failed.incrementAndGet();
      problem(location, "failed", e);
    }
  }

  private void problem(String location, String status, RuntimeException e) {
    print(json
        ? Json.object("location", location, "status", status, "message", Failures.message(e))
        : status + " " + location + ": " + Failures.message(e));
    if (top.debug) {
      synchronized (this) {
        e.printStackTrace(err());
      }
    }
  }

  private synchronized void print(String line) {
    out().println(line);
  }
}
