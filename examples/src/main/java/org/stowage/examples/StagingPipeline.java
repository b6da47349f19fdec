package org.stowage.examples;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.filesystem.FileStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import org.stowage.staging.Namespaces;
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;
import org.stowage.staging.UnitContext;

/**
 * The main job: a four-unit workflow whose outputs Stowage stages, stores and hands on, verified.
 *
 * <pre>
 *            generate
 *           /        \
 *      square*      cube
 *           \        /
 *            gather
 * </pre>
 *
 * <ul>
 *   <li>Every unit runs inside a {@link UnitContext}: it writes into a fresh scratch directory,
 *       registers its outputs, and closing the context stores them under {@code
 *       <dag>/<unit>/attempt-<n>/}.
 *   <li>Later units receive earlier units' <em>handles</em> (locations) and load them, verified.
 *   <li>{@code square} (*) fails on its first attempt, after writing part of its output, and is
 *       retried: attempt 2 stores under its own namespace, and only its handle is passed on.
 *   <li>The shared store is content-addressed: {@code square} and {@code cube} both write the same
 *       {@code params.json}, which is stored once.
 *   <li>At the end it prints the stored layout and verifies every object.
 *   <li>Then the lifecycle step: it deletes the failed attempt's namespace, collects the content
 *       nothing references any more, prints what was reclaimed, and loads every result again.
 * </ul>
 *
 * <p>Both stores are {@link FileStorage}s under one local directory: the first argument, or
 * {@code stowage-data} in the working directory. Run it twice: the second run finds every result
 * already stored (only the failed attempt's partial output, collected by the first run, is stored
 * again).
 */
public final class StagingPipeline {
  private static final String DAG = "example-dag";

  private final ExternalStorage shared;
  private final ExternalStorage permanent;
  private final Path scratchRoot;

  private StagingPipeline(ExternalStorage shared, ExternalStorage permanent, Path scratchRoot) {
    this.shared = shared;
    this.permanent = permanent;
    this.scratchRoot = scratchRoot;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : "stowage-data").toAbsolutePath();
    Path scratchRoot = Files.createDirectories(root.resolve("scratch"));
    try (FileStorage shared = new FileStorage(root.resolve("shared"));
        FileStorage permanent = new FileStorage(root.resolve("permanent"))) {
      System.out.println("Stowage main job: stores under " + root);
      new StagingPipeline(shared, permanent, scratchRoot).run();
    }
  }

  private void run() throws Exception {
    String inputs = runUnit("generate", ctx -> {
      Path csv = ctx.scratch().resolve("inputs.csv");
      Files.writeString(csv, IntStream.rangeClosed(1, 1000).mapToObj(Integer::toString)
          .collect(Collectors.joining("\n", "", "\n")));
      return List.of(ctx.shared().register("inputs.csv"));
    }).get(0);

    List<String> squares = runUnit("square", ctx -> {
      List<Long> numbers = numbers(ctx.shared(), inputs);
      Path out = ctx.scratch().resolve("squares.csv");
      String handle = ctx.shared().register("squares.csv");
      String params = ctx.shared().register("params.json");
      Files.writeString(ctx.scratch().resolve("params.json"), "{\"source\": \"" + inputs + "\"}\n");
      if (ctx.attempt() == 1) {
        Files.writeString(out, "1\n4\n9\n"); // partial output, then the node goes away
        throw new IllegalStateException("simulated failure: worker preempted after 3 rows");
      }
      Files.writeString(out, join(numbers.stream().map(n -> n * n)));
      return List.of(handle, params);
    });

    List<String> cubes = runUnit("cube", ctx -> {
      List<Long> numbers = numbers(ctx.shared(), inputs);
      Files.writeString(ctx.scratch().resolve("cubes.csv"), join(numbers.stream().map(n -> n * n * n)));
      Files.writeString(ctx.scratch().resolve("params.json"), "{\"source\": \"" + inputs + "\"}\n");
      return List.of(ctx.shared().register("cubes.csv"), ctx.shared().register("params.json"));
    });

    List<String> summary = runUnit("gather", ctx -> {
      long sumSquares = numbers(ctx.shared(), squares.get(0)).stream().mapToLong(Long::longValue).sum();
      long sumCubes = numbers(ctx.shared(), cubes.get(0)).stream().mapToLong(Long::longValue).sum();
      Files.writeString(ctx.scratch().resolve("summary.json"), String.format(Locale.ROOT,
          "{\"sum_of_squares\": %d, \"sum_of_cubes\": %d}%n", sumSquares, sumCubes));
      System.out.printf("           sum of squares = %d, sum of cubes = %d%n", sumSquares, sumCubes);
      return List.of(ctx.permanent().register("summary.json"));
    });

    System.out.println();
    printAndVerify("shared", shared);
    printAndVerify("permanent", permanent);
    lifecycle(Stream.of(List.of(inputs), squares, cubes).flatMap(List::stream).toList(), summary);
  }

  /**
   * The lifecycle step: keeps each unit's latest successful attempt (deleting the namespace that
   * {@code square}'s failed attempt left), collects the content no reference names any more, and
   * checks that every result still loads, verified.
   */
  private void lifecycle(List<String> sharedResults, List<String> permanentResults) {
    System.out.println();
    System.out.println("Lifecycle: keep each unit's latest successful attempt, then collect unreferenced content:");
    for (ExternalStorage store : List.of(shared, permanent)) {
      Namespaces.Deletion deleted = Namespaces.keepLatestSuccessfulAttempts(store, DAG);
      CollectionReport report = ContentCollector.builder(new ContentAddressedStore(store))
          .dryRun(false).build().collect();
      System.out.printf("  %-9s deleted %s (%d objects); reclaimed %d content objects, %d bytes;"
              + " %d dangling references%n", store == shared ? "shared" : "permanent",
          deleted.namespaces(), deleted.objectsDeleted(), report.reclaimedObjects(),
          report.reclaimedBytes(), report.danglingCount());
    }
    for (ExternalStorage store : List.of(shared, permanent)) {
      StorageManager reader = new StorageManager(scratchRoot, store, "check", "reader");
      for (String handle : store == shared ? sharedResults : permanentResults) {
        System.out.printf("  %-44s %6d bytes  loads, verified%n", handle, reader.load(handle).length);
      }
    }
  }

  /** Runs a unit, retrying a failed attempt up to three times, as a workflow engine would. */
  private List<String> runUnit(String unit, UnitBody body) throws Exception {
    for (int attempt = 1; ; attempt++) {
      UnitContext ctx = UnitContext.builder(shared, permanent, DAG, unit)
          .scratchRoot(scratchRoot)
          .attempt(attempt)
          .contentAddressed(true)
          .build();
      List<String> handles;
      try (ctx) {
        handles = body.run(ctx);
        ctx.succeeded(); // the success marker the lifecycle step reads
      } catch (IllegalStateException e) {
        System.out.printf("%-10s attempt %d failed: %s%n", unit, attempt, e.getMessage());
        report(unit, ctx);
        if (attempt == 3) {
          throw e;
        }
        continue;
      }
      System.out.printf("%-10s attempt %d succeeded%n", unit, attempt);
      report(unit, ctx);
      return handles;
    }
  }

  private static void report(String unit, UnitContext ctx) {
    for (StorageManager m : List.of(ctx.shared(), ctx.permanent())) {
      for (TransferReport.Entry e : m.lastTransfer().map(TransferReport::files).orElse(List.of())) {
        System.out.printf("           %-9s %-40s md5 %s %6d bytes  %s%n",
            m == ctx.shared() ? "shared" : "permanent", e.location(), e.metadata().md5(),
            e.metadata().size(), e.uploaded() ? "stored" : "already stored");
      }
    }
  }

  /**
   * Lists a store and verifies every object (re-read and re-hashed against its recorded MD5). A
   * namespaced location holds a small reference to content under {@code cas/}; its target is
   * shown after the arrow.
   */
  private static void printAndVerify(String name, ExternalStorage storage) {
    System.out.println("Layout of the " + name + " store, every object verified:");
    try (Stream<String> locations = storage.iterContents()) {
      locations.forEach(location -> {
        Metadata verified = storage.verify(location);
        String target = location.startsWith("cas/") ? "" : "  -> " + referenceTarget(storage, location);
        System.out.printf("  %-44s %5d bytes  md5 %s ok%s%n",
            location.startsWith("cas/") ? location.substring(0, 24) + "..." : location,
            verified.size(), verified.md5(), target);
      });
    }
  }

  /** The content location a reference names (see docs/staging.md for the format). */
  private static String referenceTarget(ExternalStorage storage, String location) {
    return new String(storage.loadBytes(location), UTF_8).lines()
        .filter(l -> l.startsWith("location "))
        .map(l -> l.substring("location ".length(), "location ".length() + 24) + "...")
        .findFirst().orElse("(content, not a reference)");
  }

  private static List<Long> numbers(StorageManager manager, String handle) {
    String text = new String(manager.load(handle), UTF_8);
    return text.lines().filter(l -> !l.isBlank()).map(Long::parseLong).collect(Collectors.toList());
  }

  private static String join(Stream<Long> values) {
    return values.map(String::valueOf).collect(Collectors.joining("\n", "", "\n"));
  }

  @FunctionalInterface
  private interface UnitBody {
    List<String> run(UnitContext ctx) throws IOException;
  }
}
