package org.stowage.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Metadata;

/** Every command of the real jar, run as a process, against file stores. */
class CliFileStoreIT {
  @TempDir Path dir;

  Path store;
  String uri;

  @BeforeEach
  void createStore() throws IOException {
    store = Files.createDirectory(dir.resolve("store"));
    uri = store.toUri().toString();
  }

  Cli.Result stowage(String... args) throws Exception {
    return Cli.run(dir, args);
  }

  Cli.Result ok(String... args) throws Exception {
    Cli.Result r = stowage(args);
    assertEquals(0, r.exit(), r.describe());
    assertEquals("", r.err(), r.describe());
    return r;
  }

  /** A failure: the exit code, and one line on stderr, without a stack trace, that names {@code what}. */
  Cli.Result fails(int exit, String what, String... args) throws Exception {
    Cli.Result r = stowage(args);
    assertEquals(exit, r.exit(), r.describe());
    if (exit != ExitCode.USAGE || !r.err().contains("Usage:")) {
      assertEquals(1, r.err().lines().count(), "one line on stderr: " + r.describe());
    }
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.describe());
    assertTrue(r.err().contains(what), "names " + what + ": " + r.describe());
    return r;
  }

  Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, UTF_8);
  }

  static String md5(String s) {
    return Metadata.of(s.getBytes(UTF_8)).md5();
  }

  @Test
  @DisplayName("--help documents the commands and the exit codes")
  void help() throws Exception {
    Cli.Result r = ok("--help");
    for (String command : List.of("ls", "stat", "cat", "put", "get", "rm", "cp", "mv", "verify", "sync", "migrate", "du", "gc")) {
      assertTrue(r.out().contains("\n  " + command + " "), command + ": " + r.out());
    }
    assertTrue(r.out().contains("Exit codes:"), r.out());
    for (String code : List.of("  0  all is well", "  1  damage or refusal", "  2  usage error", "  3  the store is unreachable")) {
      assertTrue(r.out().contains(code), code + ": " + r.out());
    }
    assertTrue(ok("--version").out().startsWith("stowage "));
  }

  @Test
  @DisplayName("put, ls, stat, cat, get, du and rm on a file store, plain and JSON")
  void everyDayCommands() throws Exception {
    Path energy = file("energy.json", "{\"energy\": -1.5}\n");
    String sum = md5("{\"energy\": -1.5}\n");
    assertEquals(sum + " 17 run-1/unit-a/energy.json\n", ok("put", uri, "run-1/unit-a/energy.json", energy.toString()).out());
    assertEquals(
        "{\"location\":\"run-1/log.txt\",\"size\":5,\"md5\":\"" + md5("hello") + "\"}\n",
        Cli.run(dir, Map.of(), "hello".getBytes(UTF_8), "put", uri, "run-1/log.txt", "-", "--json").out());
    ok("put", store.toString(), "run-2/x", energy.toString()); // a directory path opens a file store

    assertEquals("run-1/log.txt\nrun-1/unit-a/energy.json\nrun-2/x\n", ok("ls", uri).out());
    assertEquals("run-1/log.txt\nrun-1/unit-a/energy.json\n", ok("ls", uri, "run-1/").out());
    assertEquals(sum + " 17 run-1/unit-a/energy.json\n", ok("ls", uri, "run-1/u", "--long").out());
    assertEquals(
        "{\"location\":\"run-2/x\",\"size\":17,\"md5\":\"" + sum + "\"}\n", ok("ls", uri, "run-2", "-l", "--json").out());
    assertEquals("{\"location\":\"run-2/x\"}\n", ok("ls", uri, "run-2", "--json").out());

    assertEquals(
        "location: run-2/x\nsize: 17\nmd5: " + sum + "\nuri: " + store.resolve("run-2/x").toUri() + "\n",
        ok("stat", uri, "run-2/x").out());
    assertTrue(ok("stat", uri, "run-2/x", "--json").out().startsWith("{\"location\":\"run-2/x\",\"size\":17,\"md5\":\"" + sum + "\",\"uri\":\"file:"));
    fails(ExitCode.REFUSED, "\"run-2/nope\"", "stat", uri, "run-2/nope");

    assertEquals("{\"energy\": -1.5}\n", ok("cat", uri, "run-1/unit-a/energy.json").out());
    assertEquals("hello", ok("get", uri, "run-1/log.txt", "-").out());
    ok("get", uri, "run-1/unit-a/energy.json", "copy.json");
    assertEquals("{\"energy\": -1.5}\n", Files.readString(dir.resolve("copy.json")));
    fails(ExitCode.REFUSED, "\"nothing\"", "cat", uri, "nothing");

    assertEquals("2 22 run-1/\n1 17 run-2/\n3 39 total\n", ok("du", uri).out());
    assertEquals("1 5 run-1/log.txt\n1 17 run-1/unit-a/\n2 22 total\n", ok("du", uri, "run-1/").out());
    assertEquals(
        "{\"prefix\":\"run-2/\",\"objects\":1,\"bytes\":17}\n{\"objects\":1,\"bytes\":17}\n",
        ok("du", uri, "run-2", "--json").out());

    ok("rm", uri, "run-2/x", "run-1/log.txt");
    assertEquals("run-1/unit-a/energy.json\n", ok("ls", uri).out());
    Cli.Result missing = stowage("rm", uri, "run-2/x", "run-1/unit-a/energy.json");
    assertEquals(ExitCode.REFUSED, missing.exit(), missing.describe());
    assertTrue(missing.err().contains("\"run-2/x\""), missing.describe());
    assertEquals("", ok("ls", uri).out(), "rm goes on after a missing object");
    ok("rm", uri, "run-2/x", "--if-exists");
  }

  @Test
  @DisplayName("put --policy: create and fail-if-different refuse with exit 1 and keep the object; skip-if-exists keeps it")
  void policies() throws Exception {
    Path one = file("one", "one");
    Path two = file("two", "two");
    ok("put", uri, "a", one.toString(), "--policy", "create");
    fails(ExitCode.REFUSED, "rule S5", "put", uri, "a", two.toString(), "--policy", "create");
    fails(ExitCode.REFUSED, "rule S5", "put", uri, "a", two.toString(), "--policy", "fail-if-different");
    assertEquals(md5("one") + " 3 a\n", ok("put", uri, "a", two.toString(), "--policy", "skip-if-exists").out());
    ok("put", uri, "a", one.toString(), "--policy", "FAIL_IF_DIFFERENT");
    assertEquals("one", ok("cat", uri, "a").out());
    fails(ExitCode.USAGE, "not a write policy", "put", uri, "a", one.toString(), "--policy", "sometimes");
  }

  @Test
  @DisplayName("cp and mv within a store and between stores")
  void copyAndMove() throws Exception {
    Path other = Files.createDirectory(dir.resolve("other"));
    String otherUri = other.toUri().toString();
    ok("put", uri, "a", file("a", "alpha").toString());
    assertEquals(md5("alpha") + " 5 b\n", ok("cp", uri, "a", uri, "b").out());
    assertEquals(md5("alpha") + " 5 x/a\n", ok("cp", uri, "a", otherUri, "x/a").out());
    fails(ExitCode.REFUSED, "rule S5", "cp", uri, "a", otherUri, "x/a", "--policy", "create");
    assertEquals(md5("alpha") + " 5 c\n", ok("mv", uri, "b", uri, "c").out());
    assertEquals("a\nc\n", ok("ls", uri).out());
    assertEquals("{\"location\":\"y\",\"size\":5,\"md5\":\"" + md5("alpha") + "\"}\n", ok("mv", uri, "c", otherUri, "y", "--json").out());
    assertEquals("a\n", ok("ls", uri).out());
    assertEquals("x/a\ny\n", ok("ls", otherUri).out());
    fails(ExitCode.REFUSED, "\"c\"", "mv", uri, "c", otherUri, "z");
  }

  @Test
  @DisplayName("sync (also --delete and --dry-run) and migrate (also --dry-run) between two file stores")
  void syncAndMigrate() throws Exception {
    Path target = Files.createDirectory(dir.resolve("target"));
    String targetUri = target.toUri().toString();
    for (String name : List.of("r/a", "r/b", "s/c")) {
      ok("put", uri, name, file("f", name).toString());
    }
    ok("put", targetUri, "r/old", file("f", "old").toString());
    ok("put", targetUri, "r/b", file("f", "different").toString());

    assertEquals("copy r/a\ncopy r/b\ndelete r/old\n", ok("sync", uri, targetUri, "--prefix", "r/", "--delete", "--dry-run").out());
    assertEquals("r/b\nr/old\n", ok("ls", targetUri).out(), "a dry run changes nothing");
    assertEquals(
        "copied 2 objects (6 bytes), skipped 0, deleted 0, failed 0\n", ok("sync", uri, targetUri, "--prefix", "r/").out());
    assertEquals("r/a\nr/b\nr/old\n", ok("ls", targetUri).out());
    assertEquals(
        "copied 1 objects (3 bytes), skipped 2, deleted 1, failed 0\n",
        ok("sync", uri, targetUri, "--delete", "--parallel", "2").out());
    assertEquals("r/a\nr/b\ns/c\n", ok("ls", targetUri).out());
    assertEquals(
        "{\"copied\":0,\"bytes\":0,\"skipped\":3,\"deleted\":0,\"failed\":0}\n", ok("sync", uri, targetUri, "--json").out());

    Path moved = Files.createDirectory(dir.resolve("moved"));
    String movedUri = moved.toUri().toString();
    ok("put", movedUri, "r/b", file("f", "r/b").toString());
    assertEquals("move r/a\ndelete r/b\n", ok("migrate", uri, movedUri, "--prefix", "r/", "--dry-run").out());
    assertEquals("moved 2 objects (1 copied, 3 bytes), conflicts 0, failed 0\n", ok("migrate", uri, movedUri, "--prefix", "r/").out());
    assertEquals("s/c\n", ok("ls", uri).out());
    assertEquals("r/a\nr/b\n", ok("ls", movedUri).out());
    fails(ExitCode.USAGE, "same store", "sync", uri, uri);
  }

  @Test
  @DisplayName("a flipped byte is found by verify (exit 1) and refused by cat, get and cp (exit 1); nothing damaged is written")
  void flippedByte() throws Exception {
    ok("put", uri, "run/good", file("g", "good content").toString());
    ok("put", uri, "run/bad", file("b", "precious result").toString());
    assertEquals("checked 2 objects: 2 sound (27 bytes), 0 damaged, 0 missing, 0 failed\n", ok("verify", uri).out());

    flipAByte(store.resolve("run/bad"), 3);

    Cli.Result verify = stowage("verify", uri, "run/", "--parallel", "2");
    assertEquals(ExitCode.REFUSED, verify.exit(), verify.describe());
    List<String> lines = verify.out().lines().toList();
    assertEquals(2, lines.size(), verify.describe());
    assertTrue(lines.get(0).startsWith("damaged run/bad: ") && lines.get(0).contains("R4"), verify.describe());
    assertEquals("checked 2 objects: 1 sound (12 bytes), 1 damaged, 0 missing, 0 failed", lines.get(1));
    Cli.Result json = stowage("verify", uri, "--json", "--parallel", "1");
    assertEquals(ExitCode.REFUSED, json.exit(), json.describe());
    assertTrue(json.out().contains("{\"location\":\"run/bad\",\"status\":\"damaged\",\"message\":\""), json.describe());
    assertTrue(json.out().contains("{\"location\":\"run/good\",\"status\":\"sound\",\"size\":12,"), json.describe());
    assertTrue(json.out().endsWith("{\"checked\":2,\"sound\":1,\"bytes\":12,\"damaged\":1,\"missing\":0,\"failed\":0}\n"), json.describe());

    fails(ExitCode.REFUSED, "\"run/bad\"", "cat", uri, "run/bad");
    assertTrue(stowage("cat", uri, "run/bad").err().contains("R2"));
    fails(ExitCode.REFUSED, "\"run/bad\"", "get", uri, "run/bad", "out.txt");
    assertFalse(Files.exists(dir.resolve("out.txt")), "get writes no damaged file");
    try (var listing = Files.list(dir)) {
      assertTrue(listing.noneMatch(p -> p.getFileName().toString().contains("stowage-part")), "no temporary file left");
    }
    Path other = Files.createDirectory(dir.resolve("other"));
    fails(ExitCode.REFUSED, "\"run/bad\"", "cp", uri, "run/bad", other.toUri().toString(), "copy");
    assertEquals("", ok("ls", other.toUri().toString()).out(), "a damaged source stores nothing");
    Cli.Result sync = stowage("sync", uri, other.toUri().toString());
    assertEquals(ExitCode.REFUSED, sync.exit(), sync.describe());
    assertTrue(sync.out().startsWith("failed run/bad: "), sync.describe());
    assertEquals("run/good\n", ok("ls", other.toUri().toString()).out());
  }

  /** Changes one byte of a stored file and puts its modification time back, as bit rot would. */
  static void flipAByte(Path file, long position) throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(position);
      int b = raf.read();
      raf.seek(position);
      raf.write(b ^ 0x20);
    }
    Files.setLastModifiedTime(file, modified);
  }

  @Test
  @DisplayName("usage errors exit with 2 and one line (or the usage); no stack trace without --debug, one with it")
  void usageErrors() throws Exception {
    fails(ExitCode.USAGE, "Unknown option: '--bogus'", "ls", uri, "--bogus");
    fails(ExitCode.USAGE, "Missing required parameter", "stat", uri);
    Cli.Result unknown = stowage("frobnicate");
    assertEquals(ExitCode.USAGE, unknown.exit(), unknown.describe());
    assertTrue(unknown.err().startsWith("Unmatched argument at index 0: 'frobnicate'"), unknown.describe());
    fails(ExitCode.USAGE, "rule L2", "cat", uri, "../x");
    fails(ExitCode.USAGE, "schemes available: file, memory, s3", "ls", "gs://bucket");
    fails(ExitCode.USAGE, "nor an existing directory", "ls", "no/such/dir");
    fails(ExitCode.USAGE, "--parallel must be at least 1", "verify", uri, "--parallel", "0");
    Cli.Result debug = stowage("cat", uri, "nothing", "--debug");
    assertEquals(ExitCode.REFUSED, debug.exit(), debug.describe());
    assertTrue(debug.err().contains("\tat org.stowage."), "--debug shows the stack trace: " + debug.describe());
  }

  @Test
  @DisplayName("through a pipe, long work draws no progress bar and writes no terminal control codes")
  void noBarThroughAPipe() throws Exception {
    byte[] big = new byte[(int) Transfers.BAR_THRESHOLD + 4096];
    new Random(7).nextBytes(big);
    Path bigFile = Files.write(dir.resolve("big.bin"), big);
    Path target = Files.createDirectory(dir.resolve("target"));
    List<Cli.Result> results =
        List.of(
            ok("put", uri, "big", bigFile.toString()),
            ok("get", uri, "big", "back.bin"),
            ok("verify", uri),
            ok("sync", uri, target.toUri().toString()),
            ok("migrate", target.toUri().toString(), Files.createDirectory(dir.resolve("m")).toUri().toString()));
    assertArrayEquals(big, Files.readAllBytes(dir.resolve("back.bin")));
    for (Cli.Result r : results) {
      String all = r.out() + r.err();
      assertFalse(all.contains("\u001b") || all.contains("\r") || all.contains("%"), "no bar, no control code: " + r.describe());
    }
  }

  @Test
  @DisplayName("bin/stowage finds and runs the jar")
  void launcher() throws Exception {
    Path launcher = Path.of(System.getProperty("stowage.launcher", "../bin/stowage")).toAbsolutePath();
    Process p = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.startsWith("stowage "), out);
  }

  @Test
  @DisplayName("gc: a dry run reports unreferenced content and deletes nothing; gc deletes it and keeps referenced content")
  void collect() throws Exception {
    org.stowage.cas.Digest garbage = referencedAndGarbage();
    String dry = ok("gc", uri, "--dry-run").out();
    assertTrue(dry.startsWith("dry run: 2 content objects, 1 references; 1 unreferenced (21 bytes); reclaimed 0"), dry);
    String json = ok("gc", uri, "--json").out();
    assertTrue(json.contains("\"reclaimedObjects\":1") && json.contains("\"dangling\":0"), json);
    try (org.stowage.ExternalStorage storage = new org.stowage.filesystem.FileStorage(store)) {
      org.stowage.cas.ContentAddressedStore cas = org.stowage.cas.ContentAddressedStore.builder(storage).build();
      assertFalse(cas.contains(garbage), "the unreferenced content is gone");
      assertEquals("referenced content", new String(
          new org.stowage.staging.OutputReader(storage).load("dag/unit/kept.txt"), UTF_8));
      String sound = ok("verify", uri, "--references").out();
      assertTrue(sound.contains("checked 1 references: 0 to missing or damaged content"), sound);
      // The referenced content goes: verify --references names the reference and exits 1.
      assertTrue(cas.delete(org.stowage.cas.Digest.sha256("referenced content".getBytes(UTF_8))));
      Cli.Result dangling = stowage("verify", uri, "--references");
      assertEquals(ExitCode.REFUSED, dangling.exit(), dangling.describe());
      assertTrue(dangling.out().contains("reference dag/unit/kept.txt: MISSING"), dangling.describe());
    }
  }

  @Test
  @DisplayName("gc and verify --references: a reference file damaged on disk stops the collection (exit 1, named) and is reported")
  void collectRefusesDamagedReference() throws Exception {
    org.stowage.cas.Digest garbage = referencedAndGarbage();
    Path reference = store.resolve("dag/unit/kept.txt");
    java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(reference);
    Files.writeString(reference, Files.readString(reference).replace("sha256:", "sha257:"));
    Files.setLastModifiedTime(reference, java.nio.file.attribute.FileTime.fromMillis(modified.toMillis() + 2000));

    Cli.Result gc = stowage("gc", uri);
    assertEquals(ExitCode.REFUSED, gc.exit(), gc.describe());
    assertTrue(gc.out().contains("1 unreadable references: sweep refused, nothing deleted"), gc.describe());
    assertTrue(gc.err().contains("unreadable reference dag/unit/kept.txt: DAMAGED"), gc.describe());
    Cli.Result json = stowage("gc", uri, "--json", "--dry-run");
    assertTrue(json.out().contains("\"unreadable\":1"), json.describe());
    Cli.Result check = stowage("verify", uri, "--references");
    assertEquals(ExitCode.REFUSED, check.exit(), check.describe());
    assertTrue(check.out().contains("reference dag/unit/kept.txt: DAMAGED_REFERENCE"), check.describe());
    try (org.stowage.ExternalStorage storage = new org.stowage.filesystem.FileStorage(store)) {
      assertTrue(org.stowage.cas.ContentAddressedStore.builder(storage).build().contains(garbage),
          "a refused collection deletes nothing");
    }
  }

  /** Stores dag/unit/kept.txt as a content reference, and content nothing refers to; returns the latter's digest. */
  private org.stowage.cas.Digest referencedAndGarbage() throws Exception {
    Path scratch = Files.createDirectory(dir.resolve("scratch"));
    Files.writeString(scratch.resolve("kept.txt"), "referenced content", UTF_8);
    try (org.stowage.ExternalStorage storage = new org.stowage.filesystem.FileStorage(store)) {
      org.stowage.cas.ContentAddressedStore cas = org.stowage.cas.ContentAddressedStore.builder(storage).build();
      org.stowage.staging.StorageManager m = org.stowage.staging.StorageManager
          .builder(scratch, storage, "dag", "unit").contentAddressed(cas).build();
      m.register("kept.txt");
      m.transfer();
      org.stowage.cas.Digest garbage = cas.put("nobody refers to this".getBytes(UTF_8));
      assertTrue(cas.contains(garbage));
      return garbage;
    }
  }
}
