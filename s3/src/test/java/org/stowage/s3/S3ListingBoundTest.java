package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;

/** Listings from a key on S3 (rule I7): the server skips what sorts before the bound. */
@ExtendWith(S3TestEnvironment.class)
class S3ListingBoundTest {
  @Test
  @DisplayName("I7 the bound sent as StartAfter stops before its first character at or above U+D800")
  void serverBound() {
    assertNull(S3Listing.serverBound(null));
    assertEquals("root/cas/sha256/\uD7FF", S3Listing.serverBound("root/cas/sha256/\uD7FF"));
    assertEquals("x/", S3Listing.serverBound("x/\uE000y"));
    assertEquals("x/", S3Listing.serverBound("x/\uD83D\uDE00y"));
    assertNull(S3Listing.serverBound("\uFFFFabc"), "nothing left to send");
  }

  @Test
  @DisplayName("I7 a listing past a tree of 30 keys, 5 keys a page, asks for one page: the server skipped the tree")
  void serverSkipsTheTree(S3Endpoint endpoint) {
    S3RequestCountsTest.Requests requests = new S3RequestCountsTest.Requests();
    try (S3Client client = endpoint.clientWith(requests);
        S3Storage storage = S3Storage.builder().serverFeatures(S3Endpoint.TESTED_S3PROXY).client(client)
            .bucket(endpoint.bucket()).prefix(S3Endpoint.freshPrefix()).listPageSize(5).build()) {
      byte[] data = "x".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 30; i++) {
        storage.storeBytes(String.format("cas/sha256/%02d/obj", i), data);
      }
      List<String> after = List.of("cas/sha2560", "run-1/a.ref", "run-1/b.ref");
      for (String location : after) {
        storage.storeBytes(location, data);
      }
      storage.storeBytes("a/before", data);
      List<String> listed = new ArrayList<>();
      int pages = requests.during(() -> {
        try (Stream<String> listing = storage.iterContents("", "cas/sha256/\uD7FF")) {
          listing.forEach(listed::add);
        }
      }).getOrDefault("ListObjectsV2", 0);
      assertEquals(after, listed);
      assertEquals(1, pages, "one page of the keys after the bound; without StartAfter it takes 7");
      try (Stream<String> all = storage.iterContents()) {
        assertEquals(34, all.collect(Collectors.toList()).size());
      }
      assertTrue(requests.during(() -> {
        try (Stream<String> listing = storage.iterContents("cas/", "cas/sha256/29/obj")) {
          assertEquals(List.of("cas/sha2560"), listing.collect(Collectors.toList()));
        }
      }).get("ListObjectsV2") == 1);
    }
  }
}
