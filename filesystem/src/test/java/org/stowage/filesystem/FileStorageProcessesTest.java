package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ExistingExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** Two processes sharing one root (rule T1): a child JVM runs {@link ChildWriter}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileStorageProcessesTest {
  @TempDir Path dir;
  Process child;

  @AfterEach
  void killChild() {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
    }
  }

  /** Starts the child and waits until it says READY. */
  private BufferedReader startChild(Path root, String mode, int rounds, long seed, boolean links)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            ChildWriter.class.getName(),
            root.toString(),
            mode,
            Integer.toString(rounds),
            Long.toString(seed),
            Boolean.toString(links));
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    child = builder.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("READY", out.readLine(), "the child did not start");
    return out;
  }

  private void go() throws IOException {
    OutputStream in = child.getOutputStream();
    in.write("GO\n".getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Reads the child's remaining output lines and waits for it to exit normally. */
  private List<String> finish(BufferedReader out) throws Exception {
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      lines.add(line);
    }
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, child.exitValue());
    assertEquals("DONE", lines.get(lines.size() - 1));
    return lines.subList(0, lines.size() - 1);
  }

  @Test
  @DisplayName("T1 S2 two processes overwriting one location: readers and the survivor see whole bytes")
  void overwriteRace() throws Exception {
    Path root = dir.resolve("store");
    int rounds = 40;
    byte[] ours = ChildWriter.content(1);
    byte[] theirs = ChildWriter.content(2);
    Set<String> good = Set.of(Disk.md5(ours), Disk.md5(theirs));
    try (FileStorage storage = new FileStorage(root)) {
      storage.storeBytes("shared", ours);
      BufferedReader out = startChild(root, "overwrite", rounds, 2, true);
      go();
      for (int i = 0; i < rounds; i++) {
        storage.storeBytes("shared", ours);
        assertTrue(good.contains(Disk.md5(storage.loadBytes("shared"))));
        assertTrue(good.contains(storage.getMetadata("shared").md5()));
        assertTrue(good.contains(storage.verify("shared").md5()));
      }
      finish(out);
      byte[] survivor = storage.loadBytes("shared");
      assertTrue(good.contains(Disk.md5(survivor)));
      Metadata verified = storage.verify("shared");
      assertEquals(Metadata.of(survivor), verified);
      assertEquals(verified, storage.getMetadata("shared"));
      assertEquals(List.of(), Disk.tempFiles(root));
    }
  }

  @ParameterizedTest(name = "T1 M2 two processes move objects in opposite directions, hard links {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("T1 M2 two processes moving objects back and forth: no deadlock, no object lost")
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void oppositeMoves(boolean links) throws Exception {
    // Each move holds the locks of both locations; one process takes x/k then y/k, the other
    // y/k then x/k, unless the locks are taken in a global order. A deadlock hangs the test
    // until the timeout.
    Path root = dir.resolve("store");
    int rounds = 60;
    try (FileStorage storage = FileStorage.builder(root).hardLinks(links).build()) {
      for (int k = 0; k < ChildWriter.MOVE_KEYS; k++) {
        storage.storeBytes("x/" + k, Disk.content(k, 1000 + k));
      }
      BufferedReader out = startChild(root, "move", rounds, 2, links);
      go();
      int moved = 0;
      for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < ChildWriter.MOVE_KEYS; k++) {
          try {
            storage.move("x/" + k, "y/" + k, WritePolicy.CREATE);
            moved++;
          } catch (MissingExternalResourceException | ExistingExternalResourceException e) {
            // the child has it at the other place, or moved it back meanwhile
          }
        }
      }
      finish(out);
      assertTrue(moved > 0, "this process moved nothing: the test did not race");
      for (int k = 0; k < ChildWriter.MOVE_KEYS; k++) {
        boolean atX = storage.exists("x/" + k);
        boolean atY = storage.exists("y/" + k);
        assertTrue(atX ^ atY, "object " + k + " must be at exactly one of x/" + k + ", y/" + k);
        String at = (atX ? "x/" : "y/") + k;
        Metadata expected = Metadata.of(Disk.content(k, 1000 + k));
        assertEquals(expected, storage.getMetadata(at), at + ": the record moved with the file");
        assertEquals(expected, storage.verify(at), at + ": the bytes moved whole");
      }
      assertEquals(List.of(), Disk.tempFiles(root));
    }
  }

  @ParameterizedTest(name = "T1 S5 two processes CREATE the same locations, hard links {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("T1 S5 two processes racing CREATE: exactly one winner per location")
  void createRace(boolean links) throws Exception {
    Path root = dir.resolve("store");
    int rounds = 300;
    byte[] ours = Disk.content(1, 100);
    byte[] theirs = Disk.content(2, 100);
    int weWon = 0;
    try (FileStorage storage = FileStorage.builder(root).hardLinks(links).build()) {
      BufferedReader out = startChild(root, "create", 0, 2, links);
      go();
      OutputStream toChild = child.getOutputStream();
      for (int i = 0; i < rounds; i++) {
        String location = "race/" + i;
        toChild.write((i + "\n").getBytes(StandardCharsets.UTF_8));
        toChild.flush();
        boolean won;
        try {
          storage.storeBytes(location, ours, WritePolicy.CREATE);
          won = true;
        } catch (ExistingExternalResourceException lost) {
          won = false;
        }
        String theirResult = out.readLine();
        assertEquals(won ? "LOST " + i : "WON " + i, theirResult, location + ": one winner");
        assertEquals(Metadata.of(won ? ours : theirs), storage.verify(location), location);
        weWon += won ? 1 : 0;
      }
      toChild.write("END\n".getBytes(StandardCharsets.UTF_8));
      toChild.flush();
      assertEquals(List.of(), finish(out));
      assertEquals(List.of(), Disk.tempFiles(root));
    }
    // Not asserted (scheduling decides), but shows whether the processes really raced.
    org.slf4j.LoggerFactory.getLogger(getClass())
        .info("links {}: this process won {} of {} rounds", links, weWon, rounds);
  }
}
