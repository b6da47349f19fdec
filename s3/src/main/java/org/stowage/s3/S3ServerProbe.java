package org.stowage.s3;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.stowage.s3.S3ServerFeatures.ListingOrder;
import org.stowage.s3.S3ServerFeatures.Support;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Learns what an S3 server does by trying it: a handful of small requests under a folder of its
 * own ({@code <root>.stowage-tmp/probe-<random>/}, which listings of the storage never show),
 * removed at the end. See {@link S3ServerFeatures} for what is learned, and docs/s3.md for the
 * requests.
 *
 * <p>The atomicity of conditional creates is checked by rounds of {@value #RACERS} concurrent
 * conditional {@code PutObject}s to one fresh key each ({@link Race}): two winners in a round prove
 * it missing; none proves nothing more than that the race was not lost this time. A server that
 * checks, then writes, is open to the race while it writes, so larger bodies and more rounds find
 * it more surely: a storage's own probe runs {@link Race#QUICK}, tests run {@link Race#THOROUGH}.
 */
final class S3ServerProbe {
  static final int RACERS = 8;

  /** How hard to race conditional creates: up to {@code rounds} rounds of {@code bytes} each. */
  record Race(int rounds, int bytes) {
    /** A storage's own probe: 2 rounds of 16 KiB bodies (16 small requests). */
    static final Race QUICK = new Race(2, 16 * 1024);
    /** Up to 5 rounds of 256 KiB bodies. */
    static final Race THOROUGH = new Race(5, 256 * 1024);
  }
  private static final String WRONG_MD5 = "0123456789abcdef0123456789abcdef";

  private final S3Client s3;
  private final String bucket;
  private final String folder;
  private final String server;
  private final Race race;
  private final List<String> notes = new ArrayList<>();

  private S3ServerProbe(S3Client s3, String bucket, String folder, String server, Race race) {
    this.race = race;
    this.s3 = s3;
    this.bucket = bucket;
    this.folder = folder;
    this.server = server;
  }

  /**
   * Probes the server.
   *
   * @param folder the key prefix to work under, ending with {@code /}; it must be empty and stays
   *     empty
   * @param server the endpoint and bucket, for the report
   * @throws SdkException if the server refuses plain writes or reads there (no access, no bucket)
   */
  static S3ServerFeatures probe(S3Client s3, String bucket, String folder, String server) {
    return probe(s3, bucket, folder, server, Race.QUICK);
  }

  /** As {@link #probe(S3Client, String, String, String)}, racing conditional creates as asked. */
  static S3ServerFeatures probe(
      S3Client s3, String bucket, String folder, String server, Race race) {
    return new S3ServerProbe(s3, bucket, folder, server, race).run();
  }

  private S3ServerFeatures run() {
    try {
      byte[] body = "stowage probe\n".getBytes(StandardCharsets.UTF_8);
      String md5 = md5(body);
      String eTag = put("plain", body, md5, false);
      byte[] stored = s3.getObjectAsBytes(r -> r.bucket(bucket).key(folder + "plain")).asByteArray();
      Support storesBytesSent = java.util.Arrays.equals(stored, body) ? Support.YES : Support.NO;
      if (storesBytesSent == Support.NO) {
        notes.add("a PutObject of " + body.length + " bytes was read back as " + stored.length
            + " other bytes");
      }
      String storedMd5 = md5(stored);
      Support md5ETags =
          storedMd5.equals(S3Storage.md5OfETag(eTag, null, null)) ? Support.YES : Support.NO;
      if (md5ETags == Support.NO) {
        notes.add("the ETag of a PutObject is " + eTag + ", not the MD5 of its bytes " + storedMd5);
      }
      Support create = conditionalCreate(body, md5);
      Support atomic = create == Support.YES ? atomicCreate() : Support.UNKNOWN;
      Support delete = conditionalDelete(eTag);
      String[] badDigest = new String[1];
      Support md5Checked = contentMd5Checked(body, badDigest);
      Support partCopy = uploadPartCopy();
      Support abortKeeps = abortKeepsObject(body);
      ListingOrder order = listingOrder();
      return new S3ServerFeatures(server, storesBytesSent, md5ETags, create, atomic, delete, md5Checked,
          badDigest[0], partCopy, abortKeeps, order, notes);
    } finally {
      cleanUp();
    }
  }

  /** A PutObject; returns its ETag. */
  private String put(String name, byte[] body, String contentMd5Hex, boolean ifNoneMatch) {
    return s3.putObject(
            r -> {
              r.bucket(bucket).key(folder + name).contentLength((long) body.length);
              if (contentMd5Hex != null) {
                r.contentMD5(S3Storage.base64OfHex(contentMd5Hex));
              }
              if (ifNoneMatch) {
                r.ifNoneMatch("*");
              }
            },
            RequestBody.fromBytes(body))
        .eTag();
  }

  private Support conditionalCreate(byte[] body, String md5) {
    try {
      put("plain", body, md5, true);
      notes.add("a PutObject with If-None-Match: * over an existing key succeeded");
      return Support.NO;
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        return Support.YES;
      }
      notes.add("a PutObject with If-None-Match: * over an existing key was answered "
          + answer(e) + ", not 412");
      return Support.NO;
    }
  }

  private Support atomicCreate() {
    byte[] body = new byte[race.bytes()];
    java.util.Arrays.fill(body, (byte) 's');
    String md5 = md5(body);
    ExecutorService pool = Executors.newFixedThreadPool(RACERS, r -> {
      Thread t = new Thread(r, "stowage-probe-race");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int round = 0; round < race.rounds(); round++) {
        String key = "race-" + round;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> racers = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
          racers.add(pool.submit(() -> {
            start.await();
            try {
              put(key, body, md5, true);
              return true;
            } catch (S3Exception e) {
              if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
              }
              throw e;
            }
          }));
        }
        start.countDown();
        int winners = 0;
        for (Future<Boolean> f : racers) {
          if (f.get()) {
            winners++;
          }
        }
        if (winners > 1) {
          notes.add(winners + " of " + RACERS + " concurrent conditional PutObjects of one key"
              + " succeeded");
          return Support.NO;
        }
      }
      return Support.YES;
    } catch (ExecutionException e) {
      notes.add("the race of conditional creates failed: " + e.getCause());
      return Support.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      notes.add("interrupted during the race of conditional creates");
      return Support.UNKNOWN;
    } finally {
      pool.shutdownNow();
    }
  }

  private Support conditionalDelete(String eTag) {
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(folder + "plain").ifMatch("\"" + WRONG_MD5 + "\""));
      notes.add("a DeleteObject with If-Match on another ETag than " + eTag + " succeeded");
      return Support.NO;
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        return Support.YES;
      }
      notes.add("a DeleteObject with If-Match on another ETag was answered " + answer(e)
          + ", not 412");
      return Support.NO;
    }
  }

  private Support contentMd5Checked(byte[] body, String[] answer) {
    try {
      put("md5", body, WRONG_MD5, false);
      notes.add("a PutObject whose Content-MD5 does not match its body succeeded");
      return Support.NO;
    } catch (S3Exception e) {
      answer[0] = answer(e);
      if (e.statusCode() == 400) {
        return Support.YES;
      }
      notes.add("a PutObject whose Content-MD5 does not match its body was answered " + answer[0]);
      return Support.UNKNOWN;
    }
  }

  private Support uploadPartCopy() {
    String key = folder + "part-copy";
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    try {
      s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(folder + "plain")
          .destinationBucket(bucket).destinationKey(key).uploadId(uploadId).partNumber(1));
      return Support.YES;
    } catch (S3Exception e) {
      notes.add("UploadPartCopy was answered " + answer(e));
      return Support.NO;
    } finally {
      abort(key, uploadId);
    }
  }

  private Support abortKeepsObject(byte[] body) {
    String key = folder + "abort";
    String first = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    String firstETag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(first).partNumber(1),
        RequestBody.fromBytes(body)).eTag();
    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(first)
        .multipartUpload(u -> u.parts(CompletedPart.builder().partNumber(1).eTag(firstETag).build())));
    String second = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(second).partNumber(1),
        RequestBody.fromBytes(body));
    try {
      s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(second));
    } catch (S3Exception e) {
      // s3rver 3.7.1 has no AbortMultipartUpload (405): a failed upload in parts then stays on
      // the server, invisible, as after a store that lost its connection.
      notes.add("AbortMultipartUpload was answered " + answer(e) + ": whether an abort keeps the"
          + " object is unknown, and uploads in parts that fail stay on the server");
      return Support.UNKNOWN;
    }
    try {
      s3.headObject(r -> r.bucket(bucket).key(key));
      return Support.YES;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        notes.add("aborting a second multipart upload of a key removed the object the first"
            + " one had committed there");
        return Support.NO;
      }
      throw e;
    }
  }

  private ListingOrder listingOrder() {
    // Stored out of order; U+FFFD sorts before U+1F600 in UTF-8, after it in UTF-16; "o/a" before
    // "o/a-b", which a server that lists its files "<key>.<suffix>" in name order puts first
    // (s3rver 3.7.1).
    List<String> names = List.of("o/b", "o/a\uD83D\uDE00", "o/a-b", "o/a\uFFFD", "o/a");
    byte[] one = {1};
    for (String n : names) {
      put(n, one, null, false);
    }
    List<String> listed =
        s3.listObjectsV2(r -> r.bucket(bucket).prefix(folder + "o/")).contents().stream()
            .map(o -> o.key().substring(folder.length()))
            .collect(Collectors.toList());
    if (listed.equals(List.of("o/a", "o/a-b", "o/a\uFFFD", "o/a\uD83D\uDE00", "o/b"))) {
      return ListingOrder.UTF8;
    }
    if (listed.equals(List.of("o/a", "o/a-b", "o/a\uD83D\uDE00", "o/a\uFFFD", "o/b"))) {
      return ListingOrder.UTF16;
    }
    notes.add("keys were listed as " + listed.stream().map(S3Storage::quote)
        .collect(Collectors.joining(", ", "[", "]")));
    return ListingOrder.OTHER;
  }

  private void abort(String key, String uploadId) {
    try {
      s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
    } catch (SdkException e) {
      notes.add("aborting the probe's upload " + uploadId + " failed: " + e.getMessage());
    }
  }

  /** Removes everything under the folder, uploads included; failures become notes. */
  private void cleanUp() {
    try {
      s3.listMultipartUploadsPaginator(r -> r.bucket(bucket).prefix(folder)).uploads()
          .forEach(u -> abort(u.key(), u.uploadId()));
    } catch (SdkException e) {
      notes.add("listing the probe's uploads failed: " + e.getMessage());
    }
    try {
      for (S3Object o :
          s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(folder)).contents()) {
        s3.deleteObject(r -> r.bucket(bucket).key(o.key()));
      }
    } catch (SdkException e) {
      notes.add("removing the probe's objects under " + S3Storage.quote(folder) + " failed: "
          + e.getMessage());
    }
  }

  private static String answer(S3Exception e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    return e.statusCode() + (code == null ? "" : " " + code);
  }

  static String md5(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has MD5", e);
    }
  }
}
