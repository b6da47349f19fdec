package org.stowage.staging;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * Deleting what runs left in a store: a whole run ({@code <dag>/}), one unit ({@code
 * <dag>/<unit>/}), or one attempt ({@code <dag>/<unit>/attempt-<n>/}), with the objects and the
 * content references in it; and two retention rules built on them. Deleting a namespace deletes
 * references, never content: the content they named becomes garbage that a {@link
 * ContentCollector} reclaims.
 *
 * <h2>Success markers</h2>
 *
 * <p>When a {@link UnitContext} whose code called {@link UnitContext#succeeded()} closes after
 * both transfers succeeded, it stores a small marker beside the attempt's namespace, in each of
 * its stores: {@code <dag>/<unit>/attempt-<n>.succeeded},
 * UTF-8 text {@code stowage-attempt 1\nsucceeded <ISO-8601 instant>\n}. It is how the retention
 * rules know which attempts succeeded (unless the engine says), and when (a store's metadata
 * records no time). Deleting an attempt deletes its marker.
 *
 * <p>Deleting lists the namespace and deletes each object; objects stored under it meanwhile may
 * remain. Safe to run again. All methods are static; nulls are refused.
 */
public final class Namespaces {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(Namespaces.class);
  }
  private static final Pattern ATTEMPT = Pattern.compile("attempt-([1-9][0-9]{0,9})");
  private static final Pattern MARKER = Pattern.compile("attempt-([1-9][0-9]{0,9})\\.succeeded");
  private static final String MARKER_MAGIC = "stowage-attempt 1";
  private static final int BATCH = 1000;

  private Namespaces() {}

  /**
   * What was deleted.
   *
   * @param namespaces the namespaces deleted ({@code dag}, {@code dag/unit} or {@code
   *     dag/unit/attempt-n}), in order
   * @param objectsDeleted the objects deleted, references and markers included
   */
  public record Deletion(List<String> namespaces, long objectsDeleted) {
    /**
     * Copies the list.
     *
     * @param namespaces the namespaces deleted, in order; copied
     * @param objectsDeleted how many objects were deleted
     */
    public Deletion {
      namespaces = List.copyOf(namespaces);
    }
  }

  /**
   * Deletes every object of the run {@code dag}.
   *
   * @param storage the store the run's objects are in
   * @param dag the run's label
   * @return the run's namespace and how many objects were deleted
   * @throws InvalidLocationException if {@code dag} is not one valid location segment
   */
  public static Deletion deleteRun(ExternalStorage storage, String dag) {
    segment(dag);
    return new Deletion(List.of(dag), deletePrefix(storage, dag + "/"));
  }

  /**
   * Deletes every object of the unit {@code unit} of the run {@code dag}, all attempts.
   *
   * @param storage the store the unit's objects are in
   * @param dag the run's label, one location segment
   * @param unit the unit's label, one location segment
   * @return the unit's namespace and how many objects were deleted
   * @throws InvalidLocationException if {@code dag} or {@code unit} is not one valid location
   *     segment
   */
  public static Deletion deleteUnit(ExternalStorage storage, String dag, String unit) {
    String namespace = segment(dag) + "/" + segment(unit);
    return new Deletion(List.of(namespace), deletePrefix(storage, namespace + "/"));
  }

  /**
   * Deletes the namespace of one attempt ({@code dag/unit/attempt-n}) and its success marker.
   *
   * @param storage the store the attempt's objects are in
   * @param dag the run's label, one location segment
   * @param unit the unit's label, one location segment
   * @param attempt the attempt number, from 1
   * @return the attempt's namespace and how many objects were deleted, its marker included
   * @throws InvalidLocationException if {@code dag} or {@code unit} is not one valid location
   *     segment
   * @throws IllegalArgumentException if {@code attempt} is less than 1
   */
  public static Deletion deleteAttempt(ExternalStorage storage, String dag, String unit, int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempts are numbered from 1: " + attempt);
    }
    String namespace = segment(dag) + "/" + segment(unit) + "/attempt-" + attempt;
    long deleted = deletePrefix(storage, namespace + "/");
    if (storage.deleteIfExists(namespace + ".succeeded")) {
      deleted++;
    }
    return new Deletion(List.of(namespace), deleted);
  }

  /**
   * When the attempt succeeded, by its success marker; empty if it has none (it failed, runs
   * still, or was not run by a {@link UnitContext}).
   *
   * @param storage the store the attempt stored into
   * @param dag the run's label, one location segment
   * @param unit the unit's label, one location segment
   * @param attempt the attempt number, from 1
   * @return the time the success marker records, or empty if there is no readable marker
   * @throws InvalidLocationException if {@code dag} or {@code unit} is not one valid location
   *     segment
   */
  public static Optional<Instant> succeededAt(ExternalStorage storage, String dag, String unit, int attempt) {
    return readMarker(storage, segment(dag) + "/" + segment(unit) + "/attempt-" + attempt + ".succeeded");
  }

  /**
   * Keeps, for each unit of the run {@code dag}, only its latest successful attempt, as the
   * success markers tell. Same as {@link #keepLatestSuccessfulAttempts(ExternalStorage, String,
   * BiPredicate)} with the markers as the predicate.
   *
   * @param storage the store the run's objects and markers are in
   * @param dag the run's label, one location segment
   * @return the namespaces of the attempts deleted, in order, and how many objects were deleted
   */
  public static Deletion keepLatestSuccessfulAttempts(ExternalStorage storage, String dag) {
    return keepLatestSuccessfulAttempts(
        storage, dag, (unit, attempt) -> succeededAt(storage, dag, unit, attempt).isPresent());
  }

  /**
   * Keeps, for each unit of the run {@code dag}, only its latest successful attempt: deletes
   * every attempt numbered below it. Attempts numbered above it are kept (one may be running), and
   * so is every attempt of a unit with no successful attempt (nothing says which to keep).
   *
   * @param succeeded whether the attempt {@code (unit, n)} succeeded, as the engine knows it
   * @param storage the store the run's objects are in
   * @param dag the run's label, one location segment
   * @return the namespaces of the attempts deleted, in order, and how many objects were deleted
   */
  public static Deletion keepLatestSuccessfulAttempts(
      ExternalStorage storage, String dag, BiPredicate<String, Integer> succeeded) {
    Objects.requireNonNull(succeeded, "succeeded");
    Map<String, TreeSet<Integer>> attempts = attempts(storage, segment(dag));
    List<String> namespaces = new ArrayList<>();
    long deleted = 0;
    for (Map.Entry<String, TreeSet<Integer>> unit : attempts.entrySet()) {
      Integer latest = null;
      for (Integer n : unit.getValue().descendingSet()) {
        if (succeeded.test(unit.getKey(), n)) {
          latest = n;
          break;
        }
      }
      if (latest == null) {
        Log.LOG.info("{}: keeping every attempt of {}/{}: none succeeded", storage, dag, unit.getKey());
        continue;
      }
      for (Integer n : unit.getValue().headSet(latest, false)) {
        Deletion d = deleteAttempt(storage, dag, unit.getKey(), n);
        namespaces.addAll(d.namespaces());
        deleted += d.objectsDeleted();
      }
    }
    return new Deletion(namespaces, deleted);
  }

  /**
   * Deletes every run whose newest success marker is older than {@code age} at {@code now}. A
   * run's age is that of its last successful attempt; runs without success markers have no known
   * age and are kept. Lists the whole store once.
   *
   * @param storage the store the runs are in
   * @param age how old a run's newest success marker must be for the run to be deleted
   * @param now the time the age is measured at
   * @return the namespaces of the runs deleted, in order, and how many objects were deleted
   */
  public static Deletion deleteRunsOlderThan(ExternalStorage storage, Duration age, Instant now) {
    Objects.requireNonNull(age, "age");
    Instant cutoff = now.minus(age);
    Map<String, Instant> newest = new TreeMap<>();
    try (Stream<String> listing = storage.iterContents()) {
      for (String location : (Iterable<String>) listing::iterator) {
        String[] parts = location.split("/");
        if (parts.length == 3 && MARKER.matcher(parts[2]).matches()) {
          Optional<Instant> at = readMarker(storage, location);
          at.ifPresent(t -> newest.merge(parts[0], t, (a, b) -> a.isAfter(b) ? a : b));
        }
      }
    }
    List<String> namespaces = new ArrayList<>();
    long deleted = 0;
    for (Map.Entry<String, Instant> run : newest.entrySet()) {
      if (run.getValue().isBefore(cutoff)) {
        deleted += deleteRun(storage, run.getKey()).objectsDeleted();
        namespaces.add(run.getKey());
      }
    }
    return new Deletion(namespaces, deleted);
  }

  /** Stores the success marker of {@code namespace} ({@code dag/unit/attempt-n}); for UnitContext. */
  static void recordSuccess(ExternalStorage storage, String namespace, Instant at) {
    storage.storeBytes(
        namespace + ".succeeded",
        (MARKER_MAGIC + "\nsucceeded " + at + "\n").getBytes(StandardCharsets.UTF_8),
        WritePolicy.OVERWRITE);
  }

  private static Optional<Instant> readMarker(ExternalStorage storage, String location) {
    byte[] bytes;
    try {
      bytes = storage.loadBytes(location);
    } catch (MissingExternalResourceException e) {
      return Optional.empty();
    }
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
    if (lines.length != 2 || !lines[0].equals(MARKER_MAGIC) || !lines[1].startsWith("succeeded ")) {
      Log.LOG.warn("{}: {} is not a success marker; ignored", storage, Location.quote(location));
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(lines[1].substring("succeeded ".length())));
    } catch (DateTimeParseException e) {
      Log.LOG.warn("{}: {} is not a success marker; ignored", storage, Location.quote(location));
      return Optional.empty();
    }
  }

  /** The attempt numbers of each unit of {@code dag}, by namespaces and markers. */
  private static Map<String, TreeSet<Integer>> attempts(ExternalStorage storage, String dag) {
    Map<String, TreeSet<Integer>> attempts = new TreeMap<>();
    try (Stream<String> listing = storage.iterContents(dag + "/")) {
      for (String location : (Iterable<String>) listing::iterator) {
        String[] parts = location.split("/", 4);
        if (parts.length < 3) {
          continue;
        }
        Matcher m = (parts.length == 3 ? MARKER : ATTEMPT).matcher(parts[2]);
        if (m.matches()) {
          attempts.computeIfAbsent(parts[1], u -> new TreeSet<>()).add(Integer.parseInt(m.group(1)));
        }
      }
    }
    return attempts;
  }

  /** Deletes every object under {@code prefix}, a page at a time; returns how many. */
  private static long deletePrefix(ExternalStorage storage, String prefix) {
    long deleted = 0;
    List<String> previous = List.of();
    while (true) {
      List<String> page;
      try (Stream<String> listing = storage.iterContents(prefix)) {
        page = listing.limit(BATCH).toList();
      }
      if (page.isEmpty()) {
        return deleted;
      }
      if (page.equals(previous)) {
        throw new org.stowage.ExternalResourceException(
            storage + ": deleting " + Location.quote(prefix) + " makes no progress: " + Location.quote(page.get(0))
                + " is listed again after it was deleted", page.get(0), null);
      }
      for (String location : page) {
        if (storage.deleteIfExists(location)) {
          deleted++;
        }
      }
      previous = page;
    }
  }

  private static String segment(String label) {
    Objects.requireNonNull(label, "label");
    Location.of(label);
    if (label.indexOf('/') >= 0) {
      throw new InvalidLocationException(label, "a dag or unit label must be one segment, without \"/\"", "L2");
    }
    return label;
  }
}
