package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stream a load reads an object file through: exact to the file's end whatever its size hint. */
class ObjectFileStreamTest {
  @TempDir Path dir;

  private ObjectFileStream open(byte[] content, long hint) throws IOException {
    Path file = Files.write(dir.resolve("f"), content);
    return new ObjectFileStream(FileChannel.open(file, StandardOpenOption.READ), hint);
  }

  @Test
  @DisplayName("readAllBytes returns the whole file when the size seen before is right, larger, smaller or zero")
  void readAllBytesWhateverTheHint() throws IOException {
    byte[] data = Disk.content(1, 10_000);
    for (long hint : new long[] {10_000, 4096, 20_000, 0, 9_999, 10_001}) {
      try (ObjectFileStream in = open(data, hint)) {
        assertArrayEquals(data, in.readAllBytes(), "hint " + hint);
        assertEquals(-1, in.read());
      }
    }
    try (ObjectFileStream in = open(new byte[0], 0)) {
      assertArrayEquals(new byte[0], in.readAllBytes());
    }
  }

  @Test
  @DisplayName("reads, skips and readAllBytes after them continue where the stream is")
  void afterPartialReads() throws IOException {
    byte[] data = Disk.content(2, 5000);
    try (ObjectFileStream in = open(data, data.length)) {
      assertEquals(data[0] & 0xff, in.read());
      byte[] some = new byte[99];
      assertEquals(99, in.read(some, 0, 99));
      assertArrayEquals(Arrays.copyOfRange(data, 1, 100), some);
      assertEquals(100, in.skip(100));
      assertEquals(4800, in.available());
      assertArrayEquals(Arrays.copyOfRange(data, 200, 5000), in.readAllBytes());
      assertEquals(0, in.skip(10));
    }
  }
}
