package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.Location;
import org.stowage.Metadata;

/** The record format and the record files. */
class MetadataRecordsTest {
  @TempDir Path dir;

  static final Metadata MD = new Metadata("9e107d9d372bb6826bd81d3542a419d6", 43);

  @Test
  @DisplayName("R3 a record round-trips, with nanosecond times and with or without a file key")
  void roundTrip() {
    Instant modified = Instant.parse("2025-06-01T12:00:00.123456789Z");
    for (String key : new String[] {"(dev=803,ino=1234567)", null}) {
      MetadataRecords.Entry entry =
          new MetadataRecords.Entry(
              "dag/unit/r\u00e9sult=1.json", MD, new FileVersion(key, 43, modified));
      String text = MetadataRecords.format(entry);
      assertTrue(text.startsWith("stowage-file-record 1\n"), text);
      assertEquals(entry, MetadataRecords.parse(text));
    }
  }

  @Test
  @DisplayName("R3 an attribute record (format 2, binary) round-trips without a location, times before and after 1970, Unix and other identities")
  void attributeRoundTrip() {
    for (Instant modified :
        new Instant[] {
          Instant.parse("2025-06-01T12:00:00.123456789Z"),
          Instant.parse("2025-06-01T12:00:00Z"),
          Instant.ofEpochSecond(-5, 7)
        }) {
      for (String key :
          new String[] {"(dev=803,ino=1234567)", "(dev=fe00,ino=18446744073709551615)", null,
              "(dev=803,ino=012)", "volume 7, file 42 \u00e9"}) {
        MetadataRecords.Entry entry =
            new MetadataRecords.Entry(null, MD, new FileVersion(key, 43, modified));
        java.nio.ByteBuffer encoded = MetadataRecords.encodeAttribute(entry);
        assertEquals(2, encoded.get(0), "format 2");
        MetadataRecords.Entry back = MetadataRecords.decodeAttribute(encoded.duplicate());
        assertEquals(entry, back, key);
        assertTrue(back.inAttribute());
      }
    }
    assertEquals(54, MetadataRecords.encodeAttribute(
        new MetadataRecords.Entry(null, MD, new FileVersion("(dev=803,ino=1234567)", 43,
            Instant.now()))).remaining(), "fits in an ext4 inode");
  }

  @Test
  @DisplayName("R3 malformed attribute records are refused")
  void malformedAttribute() {
    java.nio.ByteBuffer good = MetadataRecords.encodeAttribute(
        new MetadataRecords.Entry(null, MD, new FileVersion("(dev=803,ino=1)", 43, Instant.EPOCH)));
    byte[] bytes = new byte[good.remaining()];
    good.get(bytes);
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] shorter = java.util.Arrays.copyOf(bytes, cut);
      assertThrows(IllegalArgumentException.class,
          () -> MetadataRecords.decodeAttribute(java.nio.ByteBuffer.wrap(shorter)), "cut at " + cut);
    }
    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
    assertThrows(IllegalArgumentException.class,
        () -> MetadataRecords.decodeAttribute(java.nio.ByteBuffer.wrap(longer)));
    byte[] otherFormat = bytes.clone();
    otherFormat[0] = 3;
    assertThrows(IllegalArgumentException.class,
        () -> MetadataRecords.decodeAttribute(java.nio.ByteBuffer.wrap(otherFormat)));
    byte[] badNanos = bytes.clone();
    badNanos[33] = (byte) 0x7f;
    assertThrows(IllegalArgumentException.class,
        () -> MetadataRecords.decodeAttribute(java.nio.ByteBuffer.wrap(badNanos)));
  }

  @ParameterizedTest(name = "R3 malformed record {index} is refused")
  @ValueSource(
      strings = {
        "",
        "stowage-file-record 2\nlocation=a\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\n"
            + "modified=2025-06-01T12:00:00Z\n",
        "stowage-file-record 1\nlocation=a\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\n",
        "stowage-file-record 1\nlocation=a\nmd5=xyz\nsize=1\nmodified=2025-06-01T12:00:00Z\n",
        "stowage-file-record 1\nlocation=a\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=-1\n"
            + "modified=2025-06-01T12:00:00Z\n",
        "stowage-file-record 1\nlocation=a\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\n"
            + "modified=2025-06-01T12:00:00Z",
        "stowage-file-record 1\nlocation=a\nlocation=b\nmd5=9e107d9d372bb6826bd81d3542a419d6\n"
            + "size=1\nmodified=2025-06-01T12:00:00Z\n",
        "stowage-file-record 2\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\nmodified=17.5\n",
        "stowage-file-record 2\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\n"
            + "modified=17.-00000001\n",
        "stowage-file-record 2\nmd5=9e107d9d372bb6826bd81d3542a419d6\nsize=1\n",
      })
  void malformed(String text) {
    assertThrows(RuntimeException.class, () -> MetadataRecords.parse(text));
  }

  @Test
  @DisplayName("R3 an attribute longer than a Unix record (a long text identity, up to 295 bytes) is read whole from a file; one over 1,024 bytes is no record")
  void longAttributeValues() throws IOException {
    MetadataRecords records = new MetadataRecords(dir.resolve(".stowage/meta"), false, "test", true);
    Path file = Files.write(dir.resolve("f"), new byte[43]);
    for (String key : new String[] {"(dev=803,ino=1234567)", "k".repeat(60), "\u00e9".repeat(127) + "x"}) {
      MetadataRecords.Entry entry =
          new MetadataRecords.Entry(null, MD, new FileVersion(key, 43, Instant.ofEpochSecond(9, 1)));
      Disk.setRecordAttribute(file, entry);
      assertEquals(entry, records.readAttribute(file, false),
          MetadataRecords.encodeAttribute(entry).remaining() + " bytes");
    }
    Disk.setRecordAttribute(file, new byte[1500]);
    assertNull(records.readAttribute(file, false), "too long to be a record");
    Disk.setRecordAttribute(file, new byte[500]);
    assertNull(records.readAttribute(file, false), "malformed");
  }

  @Test
  @DisplayName("R3 an adoption that does not take a file removes the record attribute it set, and only that; a file without one, or gone, is no error")
  void removeAttributeQuietly() throws IOException {
    MetadataRecords records = new MetadataRecords(dir.resolve(".stowage/meta"), false, "test", true);
    Path file = Files.write(dir.resolve("kept"), new byte[43]);
    MetadataRecords.Entry entry =
        new MetadataRecords.Entry(null, MD, new FileVersion("k", 43, Instant.ofEpochSecond(9, 1)));
    Disk.setRecordAttribute(file, entry);
    java.nio.file.attribute.UserDefinedFileAttributeView view =
        Files.getFileAttributeView(file, java.nio.file.attribute.UserDefinedFileAttributeView.class);
    view.write("other", java.nio.ByteBuffer.wrap(new byte[] {1, 2}));
    assertEquals(entry, records.readAttribute(file, false));

    records.removeAttributeQuietly(file);
    assertNull(records.readAttribute(file, false), "the record is gone");
    assertEquals(List.of("other"), view.list(), "the file's own attributes stay");
    records.removeAttributeQuietly(file); // none left: no error
    records.removeAttributeQuietly(dir.resolve("missing"));
    assertTrue(Files.exists(file));
  }

  @Test
  @DisplayName("R3 records live under .stowage/meta at a SHA-256 fan-out and are replaced whole")
  void files() throws IOException {
    Path meta = dir.resolve(".stowage/meta");
    MetadataRecords records = new MetadataRecords(meta, false, "test");
    Location location = Location.of("a/b/c.txt");
    assertNull(records.read(location));
    MetadataRecords.Entry entry =
        new MetadataRecords.Entry(
            location.value(), MD, new FileVersion("k", 43, Instant.ofEpochSecond(5, 7)));
    records.write(entry);
    assertEquals(Disk.recordOf(dir, "a/b/c.txt"), records.pathOf(location));
    assertTrue(Files.isRegularFile(records.pathOf(location)));
    assertEquals(entry, records.read(location));
    MetadataRecords.Entry newer =
        new MetadataRecords.Entry(
            location.value(), MD, new FileVersion("k2", 43, Instant.ofEpochSecond(6)));
    records.write(newer);
    assertEquals(newer, records.read(location));
    assertEquals(List.of(), Disk.tempFiles(dir));
    records.delete(location);
    assertNull(records.read(location));
    records.delete(location);
  }
}
