package org.stowage.cli;

import java.util.Iterator;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.compose.StorageSync;
import org.stowage.compose.SyncOptions;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What sync and migrate share: two stores, a prefix, parallelism, a dry run, the report.
 *
 * @param <R> the report of a run
 */
abstract class TransferCommand<R> extends StoreCommand {
  @Parameters(index = "0", paramLabel = "SRC_URI", description = "The source store.")
  String sourceStore;

  @Parameters(index = "1", paramLabel = "DST_URI", description = "The target store.")
  String targetStore;

  @Option(names = "--prefix", paramLabel = "P", description = "Only locations that start with it.")
  String prefix = "";

  @Option(names = "--parallel", paramLabel = "N", description = "Objects handled at once (default: ${DEFAULT-VALUE}).")
  int parallel = 4;

  @Option(names = "--dry-run", description = "Print what would be done (\"ACTION LOCATION\" lines), and do nothing.")
  boolean dryRun;

  @Option(names = "--json", description = "JSON lines.")
  boolean json;

  /**
   * Opens both stores, then prints the plan ({@code --dry-run}) or runs the transfer under a
   * progress bar named after the command and prints its report once the bar is closed.
   */
  @Override
  public final Integer call() {
    ExternalStorage[] stores = openBoth();
    try (ExternalStorage source = stores[0];
        ExternalStorage target = stores[1]) {
      if (dryRun) {
        return plan(source, target);
      }
      R report;
      try (Progress progress = Progress.start(spec.name(), -1, false, progressAllowed(json))) {
        report = transfer(source, target, options(progress));
      }
      return print(report);
    }
  }

  /** Prints what a run would do, by metadata, changing nothing; returns the exit code. */
  abstract int plan(ExternalStorage source, ExternalStorage target);

  /** Runs the transfer with {@code options}. */
  abstract R transfer(ExternalStorage source, ExternalStorage target, SyncOptions options);

  /** Prints a run's problems ({@link #problems}) and summary; returns the exit code. */
  abstract int print(R report);

  /**
   * Calls {@code step} on each location under {@code --prefix} in {@code storage}, in listing
   * order. A {@link RuntimeException} from one is printed ({@link #failed}) and the next is tried.
   *
   * @return the worst exit code of them all
   */
  final int eachListed(ExternalStorage storage, ToIntFunction<String> step) {
    int exit = ExitCode.OK;
    try (Stream<String> listing = storage.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      while (locations.hasNext()) {
        String location = locations.next();
        try {
          exit = Failures.worse(exit, step.applyAsInt(location));
        } catch (RuntimeException e) {
          exit = Failures.worse(exit, failed(location, e));
        }
      }
    }
    return exit;
  }

  /** The options for {@link StorageSync}, with a listener that advances {@code progress}. */
  final SyncOptions options(Progress progress) {
    if (parallel < 1) {
      throw new Failures.UsageException("--parallel must be at least 1, got " + parallel);
    }
    return SyncOptions.defaults()
        .withPrefix(prefix)
        .withParallelism(parallel)
        .withListener(p -> progress.step(1));
  }

  /** Opens both stores, refusing one store given twice (it would be its own source and target). */
  final ExternalStorage[] openBoth() {
    if (sourceStore.equals(targetStore)) {
      throw new Failures.UsageException("SRC_URI and DST_URI are the same store: " + sourceStore);
    }
    ExternalStorage source = open(sourceStore);
    try {
      return new ExternalStorage[] {source, open(targetStore)};
    } catch (RuntimeException e) {
      source.close();
      throw e;
    }
  }

  /** A planned action of a dry run. */
  final void planned(String action, String location) {
    out().println(json ? Json.object("action", action, "location", location) : action + " " + location);
  }

  /** Prints a dry run's failure to look at one object, and returns its exit code. */
  final int failed(String location, RuntimeException e) {
    out().println(json
        ? Json.object("location", location, "status", "failed", "message", Failures.message(e))
        : "failed " + location + ": " + Failures.message(e));
    return Failures.exitCode(e);
  }

  /**
   * Prints the conflicts and failures of a run, one line each, and returns the exit code they
   * make: 1 for conflicts and damage, 3 if a store failed.
   */
  final int problems(List<StorageSync.Conflict> conflicts, List<StorageSync.Failure> failures) {
    int exit = conflicts.isEmpty() ? ExitCode.OK : ExitCode.REFUSED;
    for (StorageSync.Conflict c : conflicts) {
      out().println(json
          ? Json.object("location", c.location(), "status", "conflict", "source_md5", c.source().md5(),
              "target_md5", c.target().md5())
          : "conflict " + c.location() + ": source " + c.source() + ", target " + c.target());
    }
    for (StorageSync.Failure f : failures) {
      exit = Failures.worse(exit, failed(f.location(), f.error()));
      if (top.debug) {
        f.error().printStackTrace(err());
      }
    }
    return exit;
  }
}
