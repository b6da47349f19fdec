package org.stowage.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;
import org.stowage.memory.MemoryStorage;

/** The instrument of benchmark 8: a storage that counts the writes reaching another one. */
class CountingStorageTest {
  @Test
  @DisplayName("C2 the counting storage sees the first put of content and no write on the second")
  void countsWrites() {
    try (MemoryStorage memory = new MemoryStorage();
        CountingStorage counting = new CountingStorage(memory);
        ContentAddressedStore store = new ContentAddressedStore(counting)) {
      byte[] content = "the same content".getBytes(StandardCharsets.UTF_8);
      Digest first = store.put(content);
      assertEquals(1, counting.writes());
      Digest second = store.put(content);
      assertEquals(first, second);
      assertEquals(1, counting.writes(), "putting present content wrote");
      assertTrue(memory.exists(store.location(first)));
    }
  }

  @Test
  @DisplayName("C3 findMissing through the counting storage answers like the storage, and writes nothing")
  void passesQueriesThrough() {
    try (MemoryStorage memory = new MemoryStorage();
        CountingStorage counting = new CountingStorage(memory);
        ContentAddressedStore store = new ContentAddressedStore(counting)) {
      Digest present = store.put(new byte[] {1, 2, 3});
      Digest absent = Digest.sha256(new byte[] {4, 5, 6});
      long writes = counting.writes();
      Set<Digest> missing = store.findMissing(List.of(present, absent));
      assertEquals(Set.of(absent), missing);
      assertFalse(counting.iterContents().toList().isEmpty());
      assertEquals(writes, counting.writes());
    }
  }
}
