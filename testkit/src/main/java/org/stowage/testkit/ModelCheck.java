package org.stowage.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.WritePolicy;

/**
 * The sequential model check: runs a sequence of operations against the storage and against a
 * sorted map from location to content (in {@link Location#UTF8_ORDER}), compares every result,
 * and after every step checks that the listing equals the map's keys and that the metadata of the
 * object the step touched equals its content's (after the last step, of every object). A failing sequence is shrunk by removing operations while it
 * still fails, and reported as a numbered transcript.
 *
 * <p>Each run works in a fresh namespace (its own first segment), so runs do not see each other's
 * objects; a run removes its objects when it ends, as far as the storage lets it.
 */
final class ModelCheck {
  /**
   * Locations of the model runs: few enough that operations collide, sharing prefixes ({@code a},
   * {@code ab}, {@code a.b}, {@code a-b}; {@code b/a}, {@code b/ab}), with case, NFC and NFD
   * spellings, and characters that sort differently in UTF-16 and UTF-8. None lies in another's
   * "directory".
   */
  static final List<String> LOCATIONS = List.of(
      "a", "ab", "a.b", "a-b", "A", "b/a", "b/ab", "b/a.txt", "c/d/e", "c/d/ef",
      "c/\u00e9", "c/e\u0301", "\ud83d\ude00", "\ue000");

  /** Prefixes of the model's listings: empty, partial segments, trailing slashes, none matching. */
  static final List<String> PREFIXES = List.of(
      "", "a", "a.", "b/", "b/a", "c/", "c/d/e", "c/e", "x", "\ud83d\ude00", "\ue000");

  private static final int MAX_RUNS_TO_SHRINK = 400;

  private final ExternalStorage storage;
  private final Scratch scratch;
  private final AtomicInteger runs = new AtomicInteger();

  ModelCheck(ExternalStorage storage, Scratch scratch) {
    this.storage = storage;
    this.scratch = scratch;
  }

  /** The contents of model runs, cut to {@code maxSize}: some equal in size, one empty. */
  static List<Content> contents(long maxSize) {
    return List.of(
        new Content(0, 0),
        new Content(1, 1),
        new Content(3, 2),
        new Content(3, 3),
        new Content((int) Math.min(1000, maxSize), 4),
        new Content((int) Math.min(65537, maxSize), 5));
  }

  /** Operations on the model's locations, every store policy and source kind among them. */
  static Gen<Op> operations(long maxSize) {
    Gen<String> location = Generate.pick(LOCATIONS);
    Gen<Content> content = Generate.pick(contents(maxSize));
    Gen<Boolean> viaStream = Generate.booleans();
    Gen<Op> store = in -> new Op.Store(
        location.generate(in),
        content.generate(in),
        Generate.enumValues(WritePolicy.class).generate(in),
        Generate.enumValues(Op.Source.class).generate(in));
    Gen<Op> verifiedLoad = in -> new Op.VerifiedLoad(
        location.generate(in),
        viaStream.generate(in),
        Generate.booleans().generate(in) ? null : content.generate(in));
    return Generators.weighted(List.of(
        Pair.of(30, store),
        Pair.of(8, location.zip(viaStream, Op.Load::new)),
        Pair.of(8, verifiedLoad),
        Pair.of(6, location.map(Op::exists)),
        Pair.of(8, location.map(Op::delete)),
        Pair.of(6, location.map(Op::deleteIfExists)),
        Pair.of(6, location.map(Op::getMetadata)),
        Pair.of(5, location.map(Op::verify)),
        Pair.of(8, Generate.pick(PREFIXES).map(Op.ListPrefix::new)),
        Pair.of(10, transfer(location))));
  }

  /** Copies and moves between two distinct model locations, under every policy. */
  private static Gen<Op> transfer(Gen<String> location) {
    return in -> {
      String from = location.generate(in);
      String to = location.generate(in);
      if (to.equals(from)) {
        to = LOCATIONS.get((LOCATIONS.indexOf(from) + 1) % LOCATIONS.size());
      }
      return new Op.Transfer(
          from,
          to,
          Generate.enumValues(WritePolicy.class).generate(in),
          Generate.booleans().generate(in));
    };
  }

  /** Sequences of 1 to {@code maxLength} operations. */
  static Gen<List<Op>> sequences(long maxSize, int maxLength) {
    return SourceDSL.lists().of(operations(maxSize)).ofSizeBetween(1, maxLength)
        .describedAs(ModelCheck::numbered);
  }

  /** Where and why a run disagreed with the model. */
  record Failure(int steps, String message) {}

  /** A run's transcript (one line per step, with its result) and its failure, if any. */
  record Run(List<String> transcript, Failure failure) {}

  /**
   * Checks {@code ops}; on disagreement throws an {@link AssertionError} with the shrunk sequence,
   * its transcript and the reason.
   */
  void check(List<Op> ops) {
    Run first = run(ops);
    if (first.failure() == null) {
      return;
    }
    List<Op> shrunk = shrink(ops.subList(0, first.failure().steps()));
    Run last = run(shrunk);
    if (last.failure() == null) {
      // Not reproducible (a race?): report the first run as it was.
      shrunk = ops.subList(0, first.failure().steps());
      last = first;
    }
    throw new AssertionError(
        last.failure().message() + "\nShrunk from " + ops.size() + " to " + shrunk.size()
            + " operation(s) (locations are relative to a fresh namespace per run):\n"
            + String.join("\n", last.transcript()));
  }

  /** Runs {@code ops} in a fresh namespace and cleans up after it. */
  Run run(List<Op> ops) {
    String namespace = "model-" + runs.incrementAndGet();
    TreeMap<String, Content> model = new TreeMap<>(Location.UTF8_ORDER);
    List<String> transcript = new ArrayList<>();
    try {
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        if (op instanceof Op.VerifiedLoad v) {
          op = v.resolve(model.get(v.location()));
        }
        String step = "step " + (i + 1) + " (" + op + ")";
        Outcome actual = op.run(storage, namespace, scratch);
        transcript.add(String.format("%4d. %s  =>  %s", i + 1, op, actual.detailed()));
        if (op instanceof Op.OnLocation o) {
          Op.Transition t = o.step(model.get(o.location()));
          if (!t.allowed().contains(actual)) {
            return failed(transcript, i, "rule " + op.rule() + ": " + step + " gave "
                + actual.detailed() + ", but the contract says " + alternatives(t));
          }
          if (t.next() == null) {
            model.remove(o.location());
          } else {
            model.put(o.location(), t.next());
          }
        } else if (op instanceof Op.Transfer t) {
          Op.Transfer.Step expected = t.step(model.get(t.from()), model.get(t.to()));
          if (!expected.allowed().equals(actual)) {
            return failed(transcript, i, "rule " + op.rule() + ": " + step + " gave "
                + actual.detailed() + ", but the contract says " + expected.allowed().detailed());
          }
          put(model, t.from(), expected.nextFrom());
          put(model, t.to(), expected.nextTo());
        } else {
          Outcome expected = ((Op.ListPrefix) op).expected(model);
          if (!expected.equals(actual)) {
            return failed(transcript, i, "rule I1/I2: " + step + " gave " + actual.detailed()
                + ", but the objects stored are " + expected);
          }
        }
        boolean last = i == ops.size() - 1;
        String broken = invariants(namespace, model, last ? null : touched(op));
        if (broken != null) {
          return failed(transcript, i, broken + ", after " + step + " (rule " + op.rule() + ")");
        }
      }
      return new Run(transcript, null);
    } finally {
      cleanUp(namespace, model);
    }
  }

  /**
   * Checks that the listing equals the model, and that the metadata of {@code only} (or, if null,
   * of every object) equals its content's. Returns why not, or null.
   */
  private String invariants(String namespace, TreeMap<String, Content> model, String only) {
    Outcome listed = new Op.ListPrefix("").run(storage, namespace, scratch);
    Outcome expected = Outcome.listing(new ArrayList<>(model.keySet()));
    if (!listed.equals(expected)) {
      return "rule I1: iterContents lists " + listed.detailed() + ", but the objects stored are "
          + expected;
    }
    for (Map.Entry<String, Content> e : model.entrySet()) {
      if (only != null && !only.equals(e.getKey())) {
        continue;
      }
      Op get = Op.getMetadata(e.getKey());
      Outcome actual = get.run(storage, namespace, scratch);
      if (!actual.equals(Outcome.of(e.getValue().metadata()))) {
        return "rule R3: getMetadata " + Generators.quote(e.getKey()) + " gives "
            + actual.detailed() + ", but the object stored there is " + e.getValue() + " with "
            + Outcome.of(e.getValue().metadata());
      }
    }
    return null;
  }

  /**
   * The location whose metadata to check after an operation: its location, "" (none) for a
   * listing, null (all) for a copy or move, which touches two.
   */
  private static String touched(Op op) {
    if (op instanceof Op.Transfer) {
      return null;
    }
    return op instanceof Op.OnLocation o ? o.location() : "";
  }

  private static void put(Map<String, Content> model, String location, Content content) {
    if (content == null) {
      model.remove(location);
    } else {
      model.put(location, content);
    }
  }

  private static Run failed(List<String> transcript, int index, String message) {
    transcript.add("      ^ " + message);
    return new Run(transcript, new Failure(index + 1, message));
  }

  private static String alternatives(Op.Transition t) {
    return t.allowed().stream().map(Outcome::toString).sorted()
        .collect(Collectors.joining(" or "));
  }

  private void cleanUp(String namespace, TreeMap<String, Content> model) {
    List<String> leftovers = new ArrayList<>(model.keySet());
    try {
      leftovers.addAll(Op.list(storage, namespace, ""));
    } catch (RuntimeException e) {
      // The check already reports what matters; this is best effort.
    }
    for (String location : leftovers) {
      try {
        storage.deleteIfExists(Op.at(namespace, location));
      } catch (RuntimeException e) {
        // Best effort, as above.
      }
    }
  }

  /**
   * Removes operations, in halving chunks, while the sequence still fails, keeping each time only
   * the steps up to the failure. At most {@value #MAX_RUNS_TO_SHRINK} runs.
   */
  List<Op> shrink(List<Op> failing) {
    List<Op> current = new ArrayList<>(failing);
    int budget = MAX_RUNS_TO_SHRINK;
    int chunk = Math.max(1, current.size() / 2);
    while (budget > 0) {
      boolean removed = false;
      for (int start = 0; start < current.size() && budget > 0; ) {
        if (current.size() <= chunk) {
          start += chunk;
          continue;
        }
        List<Op> candidate = new ArrayList<>(current.subList(0, start));
        candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
        budget--;
        Run r = run(candidate);
        if (r.failure() != null) {
          current = new ArrayList<>(candidate.subList(0, r.failure().steps()));
          removed = true;
        } else {
          start += chunk;
        }
      }
      if (!removed) {
        if (chunk == 1) {
          break;
        }
        chunk = Math.max(1, chunk / 2);
      }
    }
    return current;
  }

  /** The operations, one per numbered line. */
  static String numbered(List<Op> ops) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < ops.size(); i++) {
      out.append(String.format("%n%4d. %s", i + 1, ops.get(i)));
    }
    return ops.size() + " operation(s):" + out;
  }
}
