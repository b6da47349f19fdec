package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.MissingExternalResourceException;
import org.stowage.filesystem.FileStorage;
import org.stowage.memory.MemoryStorage;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Rules L1 to L5 against hostile input, on every backend (memory, filesystem, S3 through s3proxy)
 * and through the URI parser ({@code ExternalStorage.open} with {@code file:}, {@code memory:} and
 * {@code s3:} URIs built from the same strings, raw and percent-encoded).
 *
 * <p>The strings are built from pieces an attacker would try: {@code ..} and {@code .}, absolute
 * paths, backslashes, {@code %2e%2e} and other encodings, fullwidth and one-dot-leader look-alikes
 * of dots and slashes, NUL and every control character, unpaired surrogates, names of 255, 256 and
 * 1100 bytes, NFC and NFD spellings, and the names of symbolic links planted inside the filesystem
 * root that lead out of it (to a directory, to a file, relatively upwards, nowhere).
 *
 * <p>For every string, every operation (store, exists, load, getMetadata, verify, uri, delete,
 * deleteIfExists, and iterContents with it as a prefix) either works as the contract says, or is
 * refused with a typed error that names the rule: {@link InvalidLocationException} with rule L2
 * (L5 for prefixes), or an {@link ExternalResourceException} whose message names a rule L (L1 for
 * a name the backend cannot hold, L4 for a link out of the root); {@link
 * MissingExternalResourceException} for reads of what was never stored. Nothing outside a root is
 * touched: a sentinel directory tree next to the filesystem root (and sentinel keys next to the S3
 * root) is compared byte for byte, with its listing, before and after.
 *
 * <p>QuickTheories with a fixed seed (printed; {@code -Dstowage.fuzz.seed=N} to change it).
 * {@code -Dstowage.fuzz.examples=N} sets the examples per backend (default: 6,500 for memory, 2,000 for
 * the filesystem, 300 for S3 (a quarter of N when set), 3,000 strings for the URI parser, each opened as 7 URIs).
 */
class HostileInputFuzzTest {
  private static final long SEED = Long.getLong("stowage.fuzz.seed", 20_250_611L);
  private static final Integer EXAMPLES = Integer.getInteger("stowage.fuzz.examples");
  private static final AtomicInteger TOTAL = new AtomicInteger();

  /**
   * Pieces that are valid segments, many of them look-alikes of dangerous ones, or the names of
   * the links planted in the filesystem root.
   */
  private static final List<String> TRICKY =
      List.of(
          "a", "b", "obj", "x.txt", "dir", "...", ". .", ".Stowage", ".stowag", "%2e%2e", "%2E%2e",
          ".%2e", "%252e%252e", "%2f", "%5c", "..%2f..", "..%5c..", "\uff0e\uff0e", "\u2024\u2024",
          "\u2025", "\u2215", "\uff0f", "C:", "file:", "~", "~root", "$HOME", "escape-dir",
          "escape-file", "up", "dangling", "inside-link", "real-dir", "sentinel", "secret.txt",
          "\u00e9", "e\u0301", "\u00c5", "A\u030a", "\u212b", "\ud83d\ude00", "\ufeff", "\u202e",
          "\u200b", "\ufffd", "\u0085", "\u2028", " ", "  ", "-", "*", "?", "CON", "nul", "a:b",
          "x".repeat(255), "y".repeat(256), "\u00e9".repeat(128));

  /** Pieces that break rule L2 wherever they are. */
  private static final List<String> HOSTILE =
      List.of(
          ".", "..", ".stowage", ".stowage-tmp-1", ".stowage/meta", "\\", "..\\..", "/etc/passwd",
          "C:\\Windows\\win.ini", "file:///etc/passwd", "\\\\server\\share", "\u0000", "a\u0000b",
          "\u0001", "\n", "\r", "\t", "\u001f", "\u007f", "\ud800", "\udc00", "z".repeat(1100));

  private static final List<String> ODD_SEPARATORS = List.of("\\", "//", "", "/./", "/../");
  private static final List<String> ODD_STARTS = List.of("/", "../", "./", "\\", "//");
  private static final List<String> ODD_ENDS = List.of("/", "//", "/.", "/..", "\\");

  @TempDir static Path base;
  private static Path root;
  private static Path sentinel;
  private static Path uriBase;
  private static Map<String, String> sentinelBefore;
  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static S3Client raw;
  private static Map<String, String> keysBefore;

  private final List<String> problems = new ArrayList<>();

  @BeforeAll
  static void setUp() throws Exception {
    System.out.println(
        "HostileInputFuzzTest: seed " + SEED + "; replay with -Dstowage.fuzz.seed=" + SEED);
    sentinel = base.resolve("sentinel");
    Files.createDirectories(sentinel.resolve("deep/deeper"));
    Files.write(sentinel.resolve("secret.txt"), "the sentinel's secret".getBytes(StandardCharsets.UTF_8));
    Files.write(sentinel.resolve("deep/a"), TestData.bytes(1, 5000));
    Files.write(sentinel.resolve("deep/deeper/b"), TestData.bytes(2, 70_000));
    Files.createDirectories(sentinel.resolve("etc"));
    Files.write(sentinel.resolve("etc/passwd"), "root:x:0:0".getBytes(StandardCharsets.UTF_8));
    root = base.resolve("root");
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(root.resolve("real-dir"));
    // An object, so that pruning after deletes never removes the link's target directory.
    Files.write(root.resolve("real-dir/keep.dat"), new byte[] {1});
    Files.createSymbolicLink(root.resolve("escape-dir"), sentinel);
    Files.createSymbolicLink(root.resolve("escape-file"), sentinel.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("a/b/up"), Path.of("../../../sentinel"));
    Files.createSymbolicLink(root.resolve("dangling"), base.resolve("nowhere"));
    Files.createSymbolicLink(root.resolve("inside-link"), root.resolve("real-dir"));
    uriBase = base.resolve("uris");
    Files.createDirectories(uriBase);
    sentinelBefore = snapshot(base, List.of(root, uriBase));

    server = S3ProxyServer.startTransient();
    endpoint = server.endpoint("fuzz");
    endpoint.withBucket("fuzz-other");
    raw = endpoint.client();
    for (String key : List.of("sentinel/secret", "rootless", "roo", "root", "root%2fx", "a/../root/x")) {
      raw.putObject(r -> r.bucket("fuzz").key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(key));
      raw.putObject(r -> r.bucket("fuzz-other").key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(key));
    }
    keysBefore = keysOutsideRoot();
  }

  @AfterAll
  static void tearDown() throws Exception {
    try {
      assertEquals(sentinelBefore, snapshot(base, List.of(root, uriBase)),
          "nothing outside the roots changed (rule L4)");
      assertEquals(keysBefore, keysOutsideRoot(), "no S3 key outside the root changed (rule L4)");
      System.out.println("HostileInputFuzzTest: " + TOTAL.get() + " hostile strings tried");
      assertTrue(TOTAL.get() >= 10_000 || EXAMPLES != null, "at least 10,000 strings: " + TOTAL.get());
    } finally {
      if (raw != null) {
        raw.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }

  @BeforeEach
  void clearProblems() {
    problems.clear();
  }

  @AfterEach
  void sentinelsUntouched() throws Exception {
    assertEquals(sentinelBefore, snapshot(base, List.of(root, uriBase)),
        "nothing outside the roots changed (rule L4)");
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @DisplayName("L2 L3 L5 hostile locations and prefixes on MemoryStorage")
  void memory() {
    try (MemoryStorage storage = new MemoryStorage()) {
      fuzz(storage, EXAMPLES == null ? 6500 : EXAMPLES);
    }
  }

  @Test
  @DisplayName("L2 L4 L5 hostile locations and prefixes on FileStorage, with links out of the root planted in it")
  void filesystem() throws IOException {
    try (FileStorage storage = new FileStorage(root)) {
      fuzz(storage, EXAMPLES == null ? 2000 : EXAMPLES);
      // Every operation through the planted links is refused, naming rule L4.
      for (String location : List.of("a/b/up/secret.txt", "escape-dir/secret.txt", "escape-file", "dangling/x")) {
        for (java.util.function.Consumer<String> op : List.<java.util.function.Consumer<String>>of(
            storage::exists, storage::loadBytes, storage::getMetadata, storage::verify,
            storage::delete, l -> storage.storeBytes(l, new byte[] {1}))) {
          ExternalResourceException e =
              org.junit.jupiter.api.Assertions.assertThrows(ExternalResourceException.class, () -> op.accept(location));
          assertTrue(e.getMessage().contains("(rule L4)"), e.getMessage());
        }
      }
    }
    assertEquals(FIXTURE, entries(root), "every object stored was deleted again, and nothing else was made");
  }

  /** What the filesystem root holds besides the store's own entries: the planted fixture. */
  private static final List<String> FIXTURE =
      List.of("a", "a/b", "a/b/up", "dangling", "escape-dir", "escape-file", "inside-link", "real-dir",
          "real-dir/keep.dat");

  /** Everything under {@code dir} but the store's own {@code .stowage} entries, sorted. */
  private static List<String> entries(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes a) {
        if (d.getFileName().toString().startsWith(".stowage")) {
          return java.nio.file.FileVisitResult.SKIP_SUBTREE;
        }
        if (!d.equals(dir)) {
          found.add(dir.relativize(d).toString());
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
        if (!f.getFileName().toString().startsWith(".stowage")) {
          found.add(dir.relativize(f).toString());
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }
    });
    java.util.Collections.sort(found);
    return found;
  }


  @Test
  @DisplayName("L1 L2 L5 hostile locations and prefixes on S3Storage, nothing outside its root prefix touched")
  void s3() {
    try (S3Storage storage = endpoint.storage("root").partSize(S3Storage.MIN_PART_SIZE).build()) {
      fuzz(storage, EXAMPLES == null ? 300 : Math.max(1, EXAMPLES / 4));
      try (Stream<String> left = storage.iterContents()) {
        assertEquals(List.of(), left.collect(Collectors.toList()));
      }
    }
  }

  @Test
  @DisplayName("L3 NFC and NFD spellings stay two objects on every backend")
  void normalisationForms() throws Exception {
    Gen<String> names =
        lists().of(Generate.pick(List.of("\u00e9", "e\u0301", "\u00c5", "A\u030a", "\u212b", "a", "\uac00", "\u1100\u1161", "/")))
            .ofSizeBetween(1, 6)
            .map(l -> String.join("", l))
            .assuming(s -> Location.isValid(s)
                && !Normalizer.normalize(s, Normalizer.Form.NFC).equals(Normalizer.normalize(s, Normalizer.Form.NFD)));
    try (MemoryStorage memory = new MemoryStorage();
        FileStorage files = new FileStorage(root);
        S3Storage s3 = endpoint.storage("root").build()) {
      for (ExternalStorage storage : List.of(memory, files, s3)) {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES == null ? 60 : EXAMPLES / 50).withShrinkCycles(50)
            .forAll(names)
            .checkAssert(name -> {
              TOTAL.incrementAndGet();
              String nfc = "nf/" + Normalizer.normalize(name, Normalizer.Form.NFC);
              String nfd = "nf/" + Normalizer.normalize(name, Normalizer.Form.NFD);
              String nfkc = "nf/" + Normalizer.normalize(name, Normalizer.Form.NFKC);
              storage.storeBytes(nfc, "nfc".getBytes(StandardCharsets.UTF_8));
              storage.storeBytes(nfd, "nfd".getBytes(StandardCharsets.UTF_8));
              try {
                assertArrayEquals("nfc".getBytes(StandardCharsets.UTF_8), storage.loadBytes(nfc), storage + " " + nfc);
                assertArrayEquals("nfd".getBytes(StandardCharsets.UTF_8), storage.loadBytes(nfd), storage + " " + nfd);
                try (Stream<String> listed = storage.iterContents("nf/")) {
                  List<String> all = listed.collect(Collectors.toList());
                  assertTrue(all.contains(nfc) && all.contains(nfd), storage + " lists both: " + all);
                }
                if (!nfkc.equals(nfc) && !nfkc.equals(nfd)) {
                  assertFalse(storage.exists(nfkc), storage + ": " + nfkc);
                }
              } finally {
                storage.delete(nfc);
                storage.delete(nfd);
              }
            });
      }
    }
  }

  @Test
  @DisplayName("L2 L4 L5 storage URIs built from hostile strings, raw and percent-encoded: refused, or a store inside the intended root")
  void uris() throws IOException {
    Path realBase = uriBase.toRealPath();
    qt().withFixedSeed(SEED).withExamples(EXAMPLES == null ? 3000 : EXAMPLES).withShrinkCycles(200)
        .forAll(hostile())
        .checkAssert(h -> {
          TOTAL.incrementAndGet();
          String base = uriBase.toUri().toString(); // file:///.../uris/
          List<String> uris = new ArrayList<>(List.of(
              base + h,
              base + encode(h, false),
              base + encode(h, true),
              "memory:" + h,
              "memory:?" + encode(h, false)));
          if (Math.floorMod(h.hashCode(), 8) == 0) { // S3 clients are costly to build
            uris.add("s3://bucket/" + h + "?region=us-east-1&endpoint=http://127.0.0.1:1");
            uris.add("s3://bucket/" + encode(h, true) + "?region=us-east-1&endpoint=http://127.0.0.1:1");
          }
          for (String uri : uris) {
            ExternalStorage opened;
            try {
              opened = ExternalStorage.open(uri);
            } catch (IllegalArgumentException | ExternalResourceException e) {
              assertFalse(e.getMessage() == null || e.getMessage().isBlank(), uri);
              continue;
            } catch (RuntimeException e) {
              throw new AssertionError("open(" + Location.quote(uri) + ") failed untyped: " + e, e);
            }
            try (ExternalStorage storage = opened) {
              if (storage instanceof FileStorage) {
                Path r = ((FileStorage) storage).root();
                try {
                  assertTrue(r.toRealPath().startsWith(realBase),
                      "open(" + Location.quote(uri) + ") made a root outside " + realBase + ": " + r);
                } catch (IOException e) {
                  throw new AssertionError(e);
                }
              } else if (storage instanceof S3Storage) {
                String prefix = ((S3Storage) storage).rootPrefix();
                if (!prefix.isEmpty()) {
                  Location.checkPrefix(prefix);
                }
                assertEquals("bucket", ((S3Storage) storage).bucket());
              } else {
                assertTrue(storage instanceof MemoryStorage, storage.toString());
              }
            }
          }
        });
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Hostile strings: one to four pieces, mostly tricky but valid, sometimes hostile or a printable
   * ASCII character, joined mostly by {@code /}, sometimes by {@code \\}, {@code //}, nothing,
   * {@code /./} or {@code /../}, sometimes with an odd start or end. About a third are valid
   * locations, which reach the backends; the rest must be refused before.
   */
  static Gen<String> hostile() {
    Gen<String> piece =
        Generate.pick(TRICKY)
            .mix(Generate.pick(HOSTILE), 6)
            .mix(Generate.characters(0x20, 0x7e).map(c -> String.valueOf((char) c)), 10);
    Gen<String> separator = Generate.constant("/").mix(Generate.pick(ODD_SEPARATORS), 5);
    Gen<String> start = Generate.constant("").mix(Generate.pick(ODD_STARTS), 6);
    Gen<String> end = Generate.constant("").mix(Generate.pick(ODD_ENDS), 6);
    return lists().of(piece).ofSizeBetween(1, 4)
        .zip(lists().of(separator).ofSize(4), start, end,
            (pieces, separators, first, last) -> {
              StringBuilder s = new StringBuilder(first);
              for (int i = 0; i < pieces.size(); i++) {
                if (i > 0) {
                  s.append(separators.get(i));
                }
                s.append(pieces.get(i));
              }
              return s.append(last).toString();
            })
        .describedAs(Location::quote);
  }

  /** Percent-encodes {@code s} as UTF-8: every byte but unreserved ones, and {@code /} too if asked. */
  static String encode(String s, boolean slashes) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '~' || (c == '/' && !slashes);
      out.append(plain ? String.valueOf((char) c) : String.format("%%%02X", c));
    }
    return out.toString();
  }

  /** Tries {@code examples} hostile strings on {@code storage}, collecting every broken promise. */
  private void fuzz(ExternalStorage storage, int examples) {
    int[] counts = new int[3];
    // No shrinking: the backends keep state, so the first failing string is the one to see.
    qt().withFixedSeed(SEED).withExamples(examples).withShrinkCycles(0)
        .forAll(hostile())
        .checkAssert(s -> {
          TOTAL.incrementAndGet();
          counts[0]++;
          counts[1] += Location.isValid(s) ? 1 : 0;
          problems.clear();
          try {
            List<String> before = storage instanceof FileStorage ? entries(root) : null;
            counts[2] += tryEverything(storage, s) ? 1 : 0;
            if (before != null) {
              List<String> after = entries(root);
              check(before.equals(after), s, "the root holds what it held: " + before + ", not " + after);
            }
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          assertEquals(List.of(), problems, storage + ", " + Location.quote(s));
        });
    System.out.println("HostileInputFuzzTest: " + storage + ": " + counts[0] + " strings, " + counts[1]
        + " valid locations, " + counts[2] + " stored, loaded, listed and deleted");
    assertTrue(counts[1] >= counts[0] / 5 && counts[1] <= counts[0] * 4 / 5,
        "a fifth to four fifths are valid locations, to reach the backend: " + counts[1]);
    assertTrue(counts[2] > 0, "some were stored");
  }

  /** Every operation on {@code s}; returns whether it was stored (and then deleted). */
  private boolean tryEverything(ExternalStorage storage, String s) {
    byte[] data = ("content of " + s).getBytes(StandardCharsets.UTF_8);
    Boolean stored = attempt(storage, s, "storeBytes", false, () -> {
      storage.storeBytes(s, data);
      return true;
    });
    if (Boolean.TRUE.equals(stored)) {
      check(storage.exists(s), s, "exists after a store");
      check(java.util.Arrays.equals(data, storage.loadBytes(s, storage.getMetadata(s))), s, "load after a store");
      check(storage.verify(s).size() == data.length, s, "verify after a store");
      try (Stream<String> listed = storage.iterContents(s)) {
        check(listed.anyMatch(s::equals), s, "the listing of its own prefix has it");
      }
      URI uri = storage.uri(s);
      if (storage instanceof FileStorage) {
        check(Path.of(uri).normalize().startsWith(root), s, "uri inside the root: " + uri);
      } else if (storage instanceof S3Storage) {
        check(uri.getPath().startsWith("/root/"), s, "uri inside the root prefix: " + uri);
      }
      storage.delete(s);
      check(!storage.exists(s), s, "gone after delete");
    } else {
      attempt(storage, s, "exists", false, () -> {
        check(!storage.exists(s), s, "exists is false for what could not be stored");
        return null;
      });
      attempt(storage, s, "loadBytes", true, () -> storage.loadBytes(s));
      attempt(storage, s, "loadStream", true, () -> {
        try (InputStream in = storage.loadStream(s)) {
          return in.read();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      attempt(storage, s, "getMetadata", true, () -> storage.getMetadata(s));
      attempt(storage, s, "verify", true, () -> storage.verify(s));
      attempt(storage, s, "delete", true, () -> {
        storage.delete(s);
        return null;
      });
      attempt(storage, s, "deleteIfExists", false, () -> {
        check(!storage.deleteIfExists(s), s, "deleteIfExists found nothing");
        return null;
      });
      attempt(storage, s, "uri", false, () -> storage.uri(s));
    }
    for (String prefix : List.of(s, s + "/")) {
      attempt(storage, prefix, "iterContents", false, () -> {
        try (Stream<String> listed = storage.iterContents(prefix)) {
          listed.forEach(l -> check(l.startsWith(prefix) && Location.isValid(l), prefix, "listed " + Location.quote(l)));
        }
        return null;
      });
    }
    return Boolean.TRUE.equals(stored);
  }

  /**
   * Runs {@code op} on {@code s}; returns its result, or null if it was refused as the contract
   * allows (recorded as a problem otherwise).
   */
  private <T> T attempt(ExternalStorage storage, String s, String op, boolean missingAllowed, java.util.concurrent.Callable<T> call) {
    boolean prefix = op.equals("iterContents");
    try {
      return call.call();
    } catch (InvalidLocationException e) {
      String expected = prefix ? "L5" : "L2";
      if (!expected.equals(e.rule()) || !e.getMessage().contains("(rule " + e.rule() + ")")) {
        problems.add(op + ": refused with rule " + e.rule() + ", expected " + expected + ": " + e.getMessage());
      }
      if (Location.isValid(s) && !prefix) {
        problems.add(op + ": a valid location was refused as invalid: " + e.getMessage());
      }
    } catch (MissingExternalResourceException e) {
      if (!missingAllowed) {
        problems.add(op + ": missing: " + e.getMessage());
      }
    } catch (ExternalResourceException e) {
      if (!e.getMessage().matches("(?s).*\\brule L[1-5](\\.[0-9]+)?\\b.*")) {
        problems.add(op + ": refused without naming a rule L: " + e.getMessage());
      }
    } catch (AssertionError e) {
      problems.add(op + ": " + e.getMessage());
    } catch (Exception e) {
      problems.add(op + ": failed untyped: " + e);
    }
    return null;
  }

  private void check(boolean ok, String s, String what) {
    if (!ok) {
      problems.add(what + " (" + Location.quote(s) + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Every entry under {@code dir} but those under {@code skip}: its relative path, its type, and
   * for files the SHA-256 of their bytes, for links their target.
   */
  static Map<String, String> snapshot(Path dir, List<Path> skip) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (skip.stream().anyMatch(p::startsWith) && !skip.contains(p)) {
          continue;
        }
        String name = dir.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          entries.put(name, "link " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          entries.put(name, "dir");
        } else {
          entries.put(name, "file " + sha256(Files.readAllBytes(p)));
        }
      }
    }
    return entries;
  }

  private static Map<String, String> keysOutsideRoot() {
    Map<String, String> keys = new TreeMap<>();
    for (String bucket : List.of("fuzz", "fuzz-other")) {
      for (S3Object o : raw.listObjectsV2Paginator(r -> r.bucket(bucket)).contents()) {
        if (bucket.equals("fuzz") && o.key().startsWith("root/")) {
          continue;
        }
        keys.put(bucket + "/" + o.key(), o.eTag() + " " + o.size());
      }
    }
    return keys;
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
