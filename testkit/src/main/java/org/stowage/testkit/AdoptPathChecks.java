package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/**
 * Rule M3 ({@link ExternalStorage#adoptPath}) as JUnit 5 tests, in a group of its own: a store
 * takes a local file, and the file is gone from its path exactly when the policy let it be
 * stored; a refusal or a failure leaves it where and as it was.
 *
 * <p>Use it as a nested group of a contract suite, or on its own: extend it and return the store
 * under test from {@link #storage()} (the same instance for the whole test; the subclass closes
 * it). The local files are made in a fresh temporary directory per test.
 *
 * <pre>{@code
 * @Nested
 * @DisplayName("M3 adopting local files")
 * class AdoptingFiles extends AdoptPathChecks {
 *   @Override
 *   protected ExternalStorage storage() {
 *     return ExternalStorageContract.this.storage; // the suite's store for this test
 *   }
 * }
 * }</pre>
 */
public abstract class AdoptPathChecks {
  /** Where the files to adopt are made. */
  @TempDir protected Path localFiles;

  /** For subclasses. */
  protected AdoptPathChecks() {}

  /** The store under test: empty at the start of each test, the same instance throughout it. */
  protected abstract ExternalStorage storage();

  private Path file(String name, byte[] content) throws IOException {
    return Files.write(localFiles.resolve(name), content);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("M3 OVERWRITE stores the file's bytes, returns their metadata, and the file is gone from its path")
  void overwriteAdopts() throws IOException {
    byte[] content = new byte[300_000];
    new Random(3).nextBytes(content);
    Path source = file("big.bin", content);
    Metadata stored = storage().adoptPath("m3/big.bin", source, WritePolicy.OVERWRITE);
    assertEquals(Metadata.of(content), stored, "M3: the metadata of the bytes stored");
    assertFalse(Files.exists(source), "M3: the adopted file is no longer at its path");
    assertArrayEquals(content, storage().loadBytes("m3/big.bin", stored), "M3: the object holds the file's bytes");
    assertEquals(stored, storage().getMetadata("m3/big.bin"), "M3/R3: metadata as returned");
  }

  @Test
  @DisplayName("M3 OVERWRITE replaces a present object; an empty file is adopted too")
  void overwriteReplaces() throws IOException {
    storage().storeBytes("m3/a", utf8("old content"));
    Path source = file("a", new byte[0]);
    assertEquals(Metadata.of(new byte[0]), storage().adoptPath("m3/a", source, WritePolicy.OVERWRITE));
    assertFalse(Files.exists(source), "M3: adopted");
    assertArrayEquals(new byte[0], storage().loadBytes("m3/a"), "M3: the new, empty content");
  }

  @Test
  @DisplayName("M3 CREATE adopts into a free location and refuses a taken one, keeping the file and the object")
  void create() throws IOException {
    Path first = file("first", utf8("first"));
    storage().adoptPath("m3/c", first, WritePolicy.CREATE);
    assertFalse(Files.exists(first), "M3: adopted under CREATE");
    Path second = file("second", utf8("second"));
    assertThrows(ExistingExternalResourceException.class,
        () -> storage().adoptPath("m3/c", second, WritePolicy.CREATE), "M3/S5: CREATE refuses a taken location");
    assertArrayEquals(utf8("second"), Files.readAllBytes(second), "M3: a refused file stays, unchanged");
    assertArrayEquals(utf8("first"), storage().loadBytes("m3/c"), "M3: the present object is unchanged");
  }

  @Test
  @DisplayName("M3 SKIP_IF_EXISTS keeps both the present object and the file; adopts into a free location")
  void skipIfExists() throws IOException {
    Metadata present = storage().storeBytes("m3/s", utf8("present"));
    Path source = file("s", utf8("newer"));
    assertEquals(present, storage().adoptPath("m3/s", source, WritePolicy.SKIP_IF_EXISTS), "M3: the present object's metadata");
    assertArrayEquals(utf8("newer"), Files.readAllBytes(source), "M3: the file stays");
    assertArrayEquals(utf8("present"), storage().loadBytes("m3/s"), "M3: the object stays");
    storage().adoptPath("m3/s2", source, WritePolicy.SKIP_IF_EXISTS);
    assertFalse(Files.exists(source), "M3: adopted into a free location");
  }

  @Test
  @DisplayName("M3 FAIL_IF_DIFFERENT deletes a file whose content is there already, refuses another and keeps it")
  void failIfDifferent() throws IOException {
    Metadata present = storage().storeBytes("m3/f", utf8("same"));
    Path same = file("same", utf8("same"));
    assertEquals(present, storage().adoptPath("m3/f", same, WritePolicy.FAIL_IF_DIFFERENT));
    assertFalse(Files.exists(same), "M3: the same content is stored already, so the file is deleted");
    Path other = file("other", utf8("different"));
    assertThrows(ExistingExternalResourceException.class,
        () -> storage().adoptPath("m3/f", other, WritePolicy.FAIL_IF_DIFFERENT), "M3/S5.1: different content refused");
    assertArrayEquals(utf8("different"), Files.readAllBytes(other), "M3: a refused file stays, unchanged");
    assertArrayEquals(utf8("same"), storage().loadBytes("m3/f"), "M3: the object stays");
  }

  @Test
  @DisplayName("M3 a missing source, a directory, a symbolic link and an invalid location are refused; nothing is stored or lost")
  void refusals() throws IOException {
    assertThrows(ExternalResourceException.class,
        () -> storage().adoptPath("m3/r", localFiles.resolve("absent"), WritePolicy.OVERWRITE), "M3: missing source");
    Path directory = Files.createDirectory(localFiles.resolve("dir"));
    assertThrows(ExternalResourceException.class,
        () -> storage().adoptPath("m3/r", directory, WritePolicy.OVERWRITE), "M3: a directory");
    Path target = file("target", utf8("target"));
    Path source = file("kept", utf8("kept"));
    assertThrows(InvalidLocationException.class,
        () -> storage().adoptPath("../escape", source, WritePolicy.OVERWRITE), "L2 before anything else");
    assertArrayEquals(utf8("kept"), Files.readAllBytes(source), "M3: the file stays after an invalid location");
    Path link = localFiles.resolve("link");
    boolean linked;
    try {
      Files.createSymbolicLink(link, target);
      linked = true;
    } catch (UnsupportedOperationException | IOException e) {
      linked = false;
    }
    if (linked) {
      ExternalResourceException e = assertThrows(ExternalResourceException.class,
          () -> storage().adoptPath("m3/r", link, WritePolicy.OVERWRITE), "M3: a symbolic link");
      assertTrue(e.getMessage().contains("M3"), "M3: the message names the rule: " + e.getMessage());
      assertTrue(Files.isSymbolicLink(link), "M3: the link stays");
      assertArrayEquals(utf8("target"), Files.readAllBytes(target), "M3: its target stays");
    }
    assertFalse(storage().exists("m3/r"), "M3: nothing was stored");
    assumeTrue(linked, "symbolic links were not checked: the filesystem has none");
  }
}
