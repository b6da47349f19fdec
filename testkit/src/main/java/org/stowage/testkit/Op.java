package org.stowage.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * One operation of the model and parallel checks, with its sequential specification. Locations
 * and prefixes are relative to a namespace (a first segment that is fresh for every run), so that
 * every run starts from an empty store without needing a new one.
 */
sealed interface Op {

  /** The contract rule the operation's result is checked against. */
  String rule();

  /** Runs the operation under {@code namespace} and returns what it gave; never throws. */
  Outcome run(ExternalStorage storage, String namespace, Scratch scratch);

  /** An operation's call on the store, which may throw. */
  @FunctionalInterface
  interface Call {
    Outcome run() throws Exception;
  }

  /**
   * Runs {@code call} and returns its outcome, or the outcome "threw" with what it threw: an
   * operation's result is whatever the store answered, an exception included, never a test error.
   */
  static Outcome attempt(Call call) {
    try {
      return call.run();
    } catch (Exception | AssertionError e) {
      return Outcome.thrown(e);
    }
  }

  /** {@code namespace/location}, or {@code location} if the namespace is empty. */
  static String at(String namespace, String location) {
    return namespace.isEmpty() ? location : namespace + "/" + location;
  }

  /** What a sequential store does for one operation: the next content and the allowed results. */
  record Transition(Content next, Set<Outcome> allowed) {
    static Transition keep(Content present, Outcome allowed) {
      return new Transition(present, Set.of(allowed));
    }
  }

  /** An operation on one location, specified as a step of that location's state. */
  sealed interface OnLocation extends Op {
    String location();

    /**
     * The step from {@code present} (the content at the location, or {@code null} if none): the
     * content afterwards and the results the contract allows.
     */
    Transition step(Content present);

    /**
     * Whether this operation may, in a race, fail with a plain {@link ExternalResourceException}
     * and change nothing, at any point (rule S5.2). False unless an operation says otherwise.
     */
    default boolean mayGiveUp() {
      return false;
    }
  }

  /** Where a store's bytes come from. */
  enum Source {
    BYTES("from bytes"),
    STREAM("from a stream of unknown length"),
    PATH("from a file"),
    FAILING_STREAM("from a stream that fails halfway");

    private final String words;

    Source(String words) {
      this.words = words;
    }
  }

  /** {@code storeBytes}, {@code storeStream} or {@code storePath} with a policy. */
  record Store(String location, Content content, WritePolicy policy, Source source)
      implements OnLocation {
    @Override
    public String rule() {
      if (source == Source.FAILING_STREAM) {
        return "S2";
      }
      if (policy != WritePolicy.OVERWRITE) {
        return "S5";
      }
      return source == Source.PATH ? "S3" : "S1";
    }

    @Override
    public Transition step(Content present) {
      Outcome stored = Outcome.of(content.metadata());
      Outcome failed = Outcome.thrown(ExternalResourceException.class);
      Outcome existing = Outcome.thrown(ExistingExternalResourceException.class);
      boolean fails = source == Source.FAILING_STREAM;
      switch (policy) {
        case OVERWRITE:
          return fails ? Transition.keep(present, failed) : Transition.keep(content, stored);
        case CREATE:
          if (present != null) {
            // A backend may read the source before it finds the object present.
            return new Transition(present, fails ? Set.of(existing, failed) : Set.of(existing));
          }
          return fails ? Transition.keep(null, failed) : Transition.keep(content, stored);
        case SKIP_IF_EXISTS:
          if (present != null) {
            return Transition.keep(present, Outcome.of(present.metadata()));
          }
          return fails ? Transition.keep(null, failed) : Transition.keep(content, stored);
        case FAIL_IF_DIFFERENT:
          if (fails) {
            return Transition.keep(present, failed);
          }
          if (present == null) {
            return Transition.keep(content, stored);
          }
          return present.metadata().equals(content.metadata())
              ? Transition.keep(present, Outcome.of(present.metadata()))
              : Transition.keep(present, existing);
        default:
          throw new AssertionError(policy);
      }
    }

    /**
     * Rule S5.2: a store from a stream (read once) under SKIP_IF_EXISTS or FAIL_IF_DIFFERENT whose
     * location is created and deleted again by others while it runs may give up with an
     * ExternalResourceException, changing nothing: the stream cannot be read twice, and the object
     * it met is gone. Bytes and files are read again instead, so they never give up.
     */
    @Override
    public boolean mayGiveUp() {
      return source == Source.STREAM
          && (policy == WritePolicy.SKIP_IF_EXISTS || policy == WritePolicy.FAIL_IF_DIFFERENT);
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      return attempt(() -> Outcome.of(store(storage, at(namespace, location), scratch)));
    }

    /** Stores at {@code at} as described; errors propagate. */
    Metadata store(ExternalStorage storage, String at, Scratch scratch) {
      try {
        switch (source) {
          case BYTES:
            return storage.storeBytes(at, content.bytes(), policy);
          case STREAM:
            try (InputStream in = content.unknownLengthStream()) {
              return storage.storeStream(at, in, policy);
            }
          case PATH:
            return storage.storePath(at, scratch.file(content), policy);
          case FAILING_STREAM:
            try (InputStream in = content.failingStream()) {
              return storage.storeStream(at, in, policy);
            }
          default:
            throw new AssertionError(source);
        }
      } catch (IOException e) {
        throw new AssertionError("closing a generated stream does not fail", e);
      }
    }

    @Override
    public String toString() {
      return "store " + Generators.quote(location) + " <- " + content + " " + source.words + ", "
          + policy;
    }
  }

  /** {@code loadBytes(location)} or {@code loadStream(location)} read to its end. */
  record Load(String location, boolean viaStream) implements OnLocation {
    @Override
    public String rule() {
      return "R1";
    }

    @Override
    public Transition step(Content present) {
      return Transition.keep(present, present == null
          ? Outcome.thrown(MissingExternalResourceException.class)
          : Outcome.bytes(present));
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      return attempt(() -> load(storage, at(namespace, location), viaStream, null));
    }

    @Override
    public String toString() {
      return (viaStream ? "loadStream " : "loadBytes ") + Generators.quote(location);
    }
  }

  /**
   * A verified load against the metadata of {@code claimed}; a {@code null} claim stands for "the
   * metadata of what the model holds", which the sequential check {@linkplain #resolve resolves}
   * before running it.
   */
  record VerifiedLoad(String location, boolean viaStream, Content claimed) implements OnLocation {
    @Override
    public String rule() {
      return "R2";
    }

    /** This operation with a {@code null} claim replaced by {@code present} (or empty content). */
    VerifiedLoad resolve(Content present) {
      if (claimed != null) {
        return this;
      }
      return new VerifiedLoad(location, viaStream, present == null ? new Content(0, 0) : present);
    }

    @Override
    public Transition step(Content present) {
      if (present == null) {
        return Transition.keep(null, Outcome.thrown(MissingExternalResourceException.class));
      }
      Content claim = claimed == null ? present : claimed;
      return Transition.keep(present, claim.metadata().equals(present.metadata())
          ? Outcome.bytes(present)
          : Outcome.thrown(ChangedExternalResourceException.class));
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      return attempt(() -> load(storage, at(namespace, location), viaStream, claimed.metadata()));
    }

    @Override
    public String toString() {
      return (viaStream ? "verified loadStream " : "verified loadBytes ") + Generators.quote(location)
          + " expecting " + (claimed == null ? "what the model holds" : claimed.toString());
    }
  }

  /**
   * One of the calls on a single location that take nothing but the location: {@code exists},
   * {@code delete}, {@code deleteIfExists}, {@code getMetadata} and {@code verify}.
   */
  record Query(Kind kind, String location) implements OnLocation {

    /** Which call, with its rule and its sequential specification. */
    enum Kind {
      EXISTS("exists", "R5"),
      DELETE("delete", "D1"),
      DELETE_IF_EXISTS("deleteIfExists", "D1"),
      GET_METADATA("getMetadata", "R3"),
      VERIFY("verify", "R4");

      private final String method;
      private final String rule;

      Kind(String method, String rule) {
        this.method = method;
        this.rule = rule;
      }

      Transition step(Content present) {
        Outcome missing = Outcome.thrown(MissingExternalResourceException.class);
        return switch (this) {
          case EXISTS -> Transition.keep(present, Outcome.of(present != null));
          case DELETE -> Transition.keep(null, present == null ? missing : Outcome.done());
          case DELETE_IF_EXISTS -> Transition.keep(null, Outcome.of(present != null));
          case GET_METADATA, VERIFY ->
              Transition.keep(present, present == null ? missing : Outcome.of(present.metadata()));
        };
      }

      Outcome call(ExternalStorage storage, String at) {
        return switch (this) {
          case EXISTS -> Outcome.of(storage.exists(at));
          case DELETE -> {
            storage.delete(at);
            yield Outcome.done();
          }
          case DELETE_IF_EXISTS -> Outcome.of(storage.deleteIfExists(at));
          case GET_METADATA -> Outcome.of(storage.getMetadata(at));
          case VERIFY -> Outcome.of(storage.verify(at));
        };
      }
    }

    @Override
    public String rule() {
      return kind.rule;
    }

    @Override
    public Transition step(Content present) {
      return kind.step(present);
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      return attempt(() -> kind.call(storage, at(namespace, location)));
    }

    @Override
    public String toString() {
      return kind.method + " " + Generators.quote(location);
    }
  }

  /** {@code exists(location)}. */
  static Query exists(String location) {
    return new Query(Query.Kind.EXISTS, location);
  }

  /** {@code delete(location)}. */
  static Query delete(String location) {
    return new Query(Query.Kind.DELETE, location);
  }

  /** {@code deleteIfExists(location)}. */
  static Query deleteIfExists(String location) {
    return new Query(Query.Kind.DELETE_IF_EXISTS, location);
  }

  /** {@code getMetadata(location)}. */
  static Query getMetadata(String location) {
    return new Query(Query.Kind.GET_METADATA, location);
  }

  /** {@code verify(location)}. */
  static Query verify(String location) {
    return new Query(Query.Kind.VERIFY, location);
  }

  /**
   * {@code copy(from, to, policy)} or {@code move(from, to, policy)} within one store (rule M1 or
   * M2), with {@code from} and {@code to} distinct.
   */
  record Transfer(String from, String to, WritePolicy policy, boolean move) implements Op {
    /** What a sequential store does: the contents at both locations afterwards, and the result. */
    record Step(Content nextFrom, Content nextTo, Outcome allowed) {}

    @Override
    public String rule() {
      return move ? "M2" : "M1";
    }

    /** The step from {@code atFrom} and {@code atTo} (either null if nothing is there). */
    Step step(Content atFrom, Content atTo) {
      if (atFrom == null) {
        return new Step(null, atTo, Outcome.thrown(MissingExternalResourceException.class));
      }
      Content moved = move ? null : atFrom;
      Outcome done = Outcome.of(atFrom.metadata());
      Outcome existing = Outcome.thrown(ExistingExternalResourceException.class);
      if (atTo == null || policy == WritePolicy.OVERWRITE) {
        return new Step(moved, atFrom, done);
      }
      switch (policy) {
        case CREATE:
          return new Step(atFrom, atTo, existing);
        case SKIP_IF_EXISTS:
          return new Step(atFrom, atTo, Outcome.of(atTo.metadata()));
        case FAIL_IF_DIFFERENT:
          return atTo.metadata().equals(atFrom.metadata())
              ? new Step(moved, atTo, Outcome.of(atTo.metadata()))
              : new Step(atFrom, atTo, existing);
        default:
          throw new AssertionError(policy);
      }
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      String source = at(namespace, from);
      String target = at(namespace, to);
      return attempt(() -> Outcome.of(move
          ? storage.move(source, target, policy)
          : storage.copy(source, target, policy)));
    }

    @Override
    public String toString() {
      return (move ? "move " : "copy ") + Generators.quote(from) + " -> " + Generators.quote(to)
          + ", " + policy;
    }
  }

  /** {@code iterContents(prefix)}, read to its end. */
  record ListPrefix(String prefix) implements Op {
    @Override
    public String rule() {
      return "I1";
    }

    /** The model's locations that start with the prefix, in the model's (UTF-8) order. */
    Outcome expected(NavigableMap<String, Content> model) {
      return Outcome.listing(
          model.keySet().stream().filter(l -> l.startsWith(prefix)).toList());
    }

    @Override
    public Outcome run(ExternalStorage storage, String namespace, Scratch scratch) {
      return attempt(() -> Outcome.listing(list(storage, namespace, prefix)));
    }

    @Override
    public String toString() {
      return "iterContents " + Generators.quote(prefix);
    }
  }

  /** The listing of {@code prefix} under {@code namespace}, with the namespace taken off. */
  static List<String> list(ExternalStorage storage, String namespace, String prefix) {
    String strip = namespace.isEmpty() ? "" : namespace + "/";
    List<String> out = new ArrayList<>();
    try (Stream<String> listed = storage.iterContents(at(namespace, prefix))) {
      listed.forEach(l -> out.add(l.startsWith(strip) ? l.substring(strip.length()) : l));
    }
    return out;
  }

  /** Loads {@code at} whole, as bytes or through a stream, verified against {@code expected} unless null. */
  private static Outcome load(ExternalStorage storage, String at, boolean viaStream, Metadata expected)
      throws IOException {
    if (!viaStream) {
      return Outcome.bytes(expected == null ? storage.loadBytes(at) : storage.loadBytes(at, expected));
    }
    try (InputStream in = expected == null ? storage.loadStream(at) : storage.loadStream(at, expected)) {
      return Outcome.bytes(readAll(in));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }
}
