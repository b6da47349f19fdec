package org.stowage.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Metadata;
import org.stowage.s3.CliS3Server;

/**
 * The real jar against the in-process S3 server (s3proxy on 127.0.0.1): the credentials reach the
 * process through its environment (the SDK's default chain) and appear in none of its output.
 */
class CliS3IT {
  static CliS3Server server;

  @TempDir Path dir;

  final List<Cli.Result> everything = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = CliS3Server.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  Cli.Result stowage(String... args) throws Exception {
    Cli.Result r = Cli.run(dir, server.environment(), null, args);
    everything.add(r);
    return r;
  }

  Cli.Result ok(String... args) throws Exception {
    Cli.Result r = stowage(args);
    assertEquals(0, r.exit(), r.describe());
    assertEquals("", r.err(), r.describe());
    return r;
  }

  @Test
  @DisplayName("every command on S3; no credential in any output, --debug included")
  void commandsOnS3() throws Exception {
    String s3 = server.uri("cli-bucket", "runs");
    Path file = Files.writeString(dir.resolve("e.json"), "{\"e\":1}", UTF_8);
    String sum = Metadata.of("{\"e\":1}".getBytes(UTF_8)).md5();

    assertEquals(sum + " 7 r1/a/e.json\n", ok("put", s3, "r1/a/e.json", file.toString()).out());
    ok("put", s3, "r1/b/e.json", file.toString(), "--policy", "create");
    assertEquals(ExitCode.REFUSED, stowage("put", s3, "r1/b/e.json", file.toString(), "--policy", "create").exit());
    assertEquals("r1/a/e.json\nr1/b/e.json\n", ok("ls", s3).out());
    assertEquals(sum + " 7 r1/b/e.json\n", ok("ls", s3, "r1/b", "--long").out());
    assertTrue(ok("stat", s3, "r1/a/e.json").out().contains("uri: s3://cli-bucket/runs/r1/a/e.json\n"));
    assertEquals("{\"e\":1}", ok("cat", s3, "r1/a/e.json").out());
    ok("get", s3, "r1/a/e.json", "back.json");
    assertEquals("{\"e\":1}", Files.readString(dir.resolve("back.json")));
    assertEquals(sum + " 7 r2/c.json\n", ok("cp", s3, "r1/a/e.json", s3, "r2/c.json").out());
    ok("mv", s3, "r2/c.json", s3, "r2/d.json");
    assertEquals("2 14 r1/\n1 7 r2/\n3 21 total\n", ok("du", s3).out());
    Cli.Result debug = stowage("verify", s3, "--debug");
    assertEquals(0, debug.exit(), debug.describe());
    assertTrue(debug.err().contains("DEBUG"), "--debug logs: " + debug.describe());
    assertEquals("checked 3 objects: 3 sound (21 bytes), 0 damaged, 0 missing, 0 failed\n", debug.out());

    Path local = Files.createDirectory(dir.resolve("local"));
    String localUri = local.toUri().toString();
    assertEquals("copied 3 objects (21 bytes), skipped 0, deleted 0, failed 0\n", ok("sync", s3, localUri).out());
    ok("rm", s3, "r2/d.json");
    assertEquals("moved 3 objects (3 copied, 21 bytes), conflicts 0, failed 0\n",
        ok("migrate", localUri, server.uri("cli-bucket", "migrated")).out());
    assertEquals("r1/a/e.json\nr1/b/e.json\nr2/d.json\n", ok("ls", server.uri("cli-bucket", "migrated")).out());
    assertEquals("", ok("ls", localUri).out());

    for (Cli.Result r : everything) {
      assertFalse(r.out().contains(server.secret()) || r.err().contains(server.secret()), "a credential in: " + r.describe());
    }
  }

  @Test
  @DisplayName("--profile takes the S3 credentials from that profile of the credentials file")
  void profile() throws Exception {
    String s3 = server.uri("profile-bucket", "p");
    Map<String, String> keys = server.environment();
    Files.writeString(
        dir.resolve(".no-aws-credentials"), // the credentials file Cli gives every process
        "[stowage-test]\naws_access_key_id = " + keys.get("AWS_ACCESS_KEY_ID")
            + "\naws_secret_access_key = " + keys.get("AWS_SECRET_ACCESS_KEY") + "\n",
        UTF_8);
    Cli.Result withProfile = Cli.run(dir, Map.of(), null, "ls", s3, "--profile", "stowage-test");
    assertEquals(0, withProfile.exit(), withProfile.describe());
    Cli.Result without = Cli.run(dir, Map.of(), null, "ls", s3);
    assertEquals(ExitCode.UNREACHABLE, without.exit(), without.describe());
    assertFalse(without.err().contains(server.secret()), without.describe());
  }

  @Test
  @DisplayName("an unreachable store exits with 3 and one line naming the store, without a stack trace")
  void unreachable() throws Exception {
    String s3 = server.uri("gone-bucket", "p");
    try (CliS3Server doomed = CliS3Server.start()) {
      String uri = doomed.uri("gone", "p");
      doomed.stop();
      Cli.Result r = Cli.run(dir, doomed.environment(), null, "ls", uri);
      assertEquals(ExitCode.UNREACHABLE, r.exit(), r.describe());
      assertEquals(1, r.err().lines().count(), r.describe());
      assertTrue(r.err().startsWith("stowage ls: S3Storage[s3://gone/p"), r.describe());
      assertFalse(r.err().contains(doomed.secret()), r.describe());
    }
    Cli.Result noCredentials = Cli.run(dir, Map.of(), null, "ls", s3);
    assertEquals(ExitCode.UNREACHABLE, noCredentials.exit(), noCredentials.describe());
    assertEquals(1, noCredentials.err().lines().count(), noCredentials.describe());
  }
}
