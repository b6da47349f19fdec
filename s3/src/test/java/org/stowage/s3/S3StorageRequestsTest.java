package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.Metadata;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** What S3Storage puts on the wire, seen by an interceptor on a client given to it. */
@ExtendWith(S3TestEnvironment.class)
class S3StorageRequestsTest {

  /** Records, for every PutObject and UploadPart, the Content-MD5 header and the body's MD5. */
  static final class ContentMd5Recorder implements ExecutionInterceptor {
    final List<String[]> seen = new ArrayList<>();
    /** For every UploadPart as sent: whether it carries a CRC32 (a header or a trailer). */
    final List<Boolean> partCrc32 = new ArrayList<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      if (context.request() instanceof UploadPartRequest) {
        var http = context.httpRequest();
        boolean crc =
            http.firstMatchingHeader("x-amz-checksum-crc32").isPresent()
                || http.firstMatchingHeader("x-amz-trailer")
                    .filter(t -> t.equalsIgnoreCase("x-amz-checksum-crc32")).isPresent();
        synchronized (seen) {
          partCrc32.add(crc);
        }
      }
    }

    @Override
    public void afterMarshalling(Context.AfterMarshalling context, ExecutionAttributes attributes) {
      Object request = context.request();
      if (!(request instanceof PutObjectRequest || request instanceof UploadPartRequest)) {
        return;
      }
      String header = context.httpRequest().firstMatchingHeader("Content-MD5").orElse(null);

      RequestBody body = context.requestBody().orElseThrow();
      java.security.MessageDigest md5 = TestData.newMd5();
      try (InputStream in = body.contentStreamProvider().newStream()) {
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          md5.update(buffer, 0, n);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      synchronized (seen) {
        seen.add(
            new String[] {
              request.getClass().getSimpleName(),
              header,
              Base64.getEncoder().encodeToString(md5.digest())
            });
      }
    }
  }

  @Test
  @DisplayName("copy and move under OVERWRITE are server-side: no byte is uploaded again, and the record travels")
  void serverSideCopy(S3Endpoint endpoint) {
    ContentMd5Recorder recorder = new ContentMd5Recorder();
    try (S3Client client =
        endpoint.clientWith(recorder);
        S3Storage storage =
            S3Storage.builder().serverFeatures(S3Endpoint.TESTED_S3PROXY).client(client).bucket(endpoint.bucket()).prefix(S3Endpoint.freshPrefix()).build()) {
      byte[] data = TestData.bytes(5, 100_000);
      Metadata m = storage.storeBytes("src", data);
      int uploads = recorder.seen.size();
      assertEquals(m, storage.copy("src", "dst"));
      assertEquals(m, storage.move("dst", "moved"));
      assertEquals(uploads, recorder.seen.size(), "no PutObject or UploadPart for a server-side copy");
      assertEquals(m, storage.getMetadata("moved"));
      assertEquals(m, storage.verify("moved"));
      org.junit.jupiter.api.Assertions.assertFalse(storage.exists("dst"));
      // CREATE takes the streamed, verified path: one upload.
      assertEquals(m, storage.copy("src", "created", org.stowage.WritePolicy.CREATE));
      assertEquals(uploads + 1, recorder.seen.size());
    }
  }

  @Test
  @DisplayName("R3 getMetadata answers from one HEAD, without reading the object")
  void metadataFromHead(S3Endpoint endpoint) {
    List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutionInterceptor recorder = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        requests.add(context.request().getClass().getSimpleName());
      }
    };
    try (S3Client client =
        endpoint.clientWith(recorder);
        S3Storage storage =
            S3Storage.builder().serverFeatures(S3Endpoint.TESTED_S3PROXY).client(client).bucket(endpoint.bucket()).prefix(S3Endpoint.freshPrefix()).build()) {
      Metadata m = storage.storeBytes("r3", TestData.bytes(8, 300_000));
      requests.clear();
      assertEquals(m, storage.getMetadata("r3"));
      assertEquals(List.of("HeadObjectRequest"), requests, "getMetadata sent " + requests);
    }
  }

  @Test
  @DisplayName("M2 T1 a version written at the source between a move's copy and its delete stays there")
  void moveKeepsANewerSource(S3Endpoint endpoint) {
    String prefix = S3Endpoint.freshPrefix();
    byte[] newer = TestData.bytes(7, 1000);
    try (S3Client raw = endpoint.client()) {
      // After the server-side copy, and before the move deletes the source, another writer stores
      // a newer version at the source, behind the storage's back.
      ExecutionInterceptor writeAfterCopy = new ExecutionInterceptor() {
        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
          if (context.request() instanceof software.amazon.awssdk.services.s3.model.CopyObjectRequest) {
            raw.putObject(r -> r.bucket(endpoint.bucket()).key(prefix + "/src"), RequestBody.fromBytes(newer));
          }
        }
      };
      try (S3Client client =
          endpoint.clientWith(writeAfterCopy);
          S3Storage storage =
              S3Storage.builder().serverFeatures(S3Endpoint.TESTED_S3PROXY).client(client).bucket(endpoint.bucket()).prefix(prefix).build()) {
        byte[] data = TestData.bytes(6, 5000);
        Metadata m = storage.storeBytes("src", data);
        assertEquals(m, storage.move("src", "dst"));
        assertEquals(m, storage.verify("dst"), "the version copied is at the target");
        assertArrayEquals(newer, storage.loadBytes("src"),
            "the newer version at the source was never copied, so the move must not delete it");
      }
    }
  }

  @Test
  @DisplayName("S2 every PUT carries Content-MD5; a streamed part carries a CRC32 the server checks, not a second MD5")
  void sendsContentMd5(S3Endpoint endpoint) {
    ContentMd5Recorder recorder = new ContentMd5Recorder();
    try (S3Client client =
        endpoint.clientWith(recorder)) {
      try (S3Storage storage =
          S3Storage.builder()
              .serverFeatures(S3Endpoint.TESTED_S3PROXY)
              .client(client)
              .bucket(endpoint.bucket())
              .prefix(S3Endpoint.freshPrefix())
              .partSize(S3Storage.MIN_PART_SIZE)
              .build()) {
        byte[] small = "small body".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Metadata m = storage.storeBytes("small", small);
        long length = 2 * S3Storage.MIN_PART_SIZE + 77;
        storage.storeStream("large", TestData.stream(41, length));

        assertEquals(4, recorder.seen.size(), "one PutObject and three parts");
        for (String[] s : recorder.seen) {
          if (s[0].equals("UploadPartRequest")) {
            // The core hashed the stream once as it was read; each part goes from the very bytes
            // hashed, checked by the server against the SDK's CRC32 (issue 16: one MD5 pass).
            assertEquals(null, s[1], "a streamed part carries no second MD5");
          } else {
            assertEquals(s[2], s[1], s[0] + " Content-MD5");
          }
        }
        assertEquals(List.of(true, true, true), recorder.partCrc32, "each streamed part carries a CRC32");
        String[] put = recorder.seen.get(0);
        assertEquals("PutObjectRequest", put[0]);
        assertEquals(
            Base64.getEncoder().encodeToString(HexFormat.of().parseHex(m.md5())), put[1]);
      }
      // The storage was given the client, so closing the storage left it open.
      assertTrue(client.listBuckets().buckets().stream()
          .anyMatch(b -> b.name().equals(endpoint.bucket())));
    }
  }

  @Test
  @DisplayName("R1 closing a GET stream before its end aborts the connection instead of draining it")
  void earlyCloseAborts() throws IOException {
    AtomicBoolean aborted = new AtomicBoolean();
    AtomicLong read = new AtomicLong();
    byte[] content = new byte[100_000];
    InputStream body =
        new ByteArrayInputStream(content) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            if (n > 0) {
              read.addAndGet(n);
            }
            return n;
          }
        };
    ResponseInputStream<GetObjectResponse> response =
        new ResponseInputStream<>(
            GetObjectResponse.builder().contentLength((long) content.length).build(),
            AbortableInputStream.create(body, () -> aborted.set(true)));
    try (S3ObjectStream in = new S3ObjectStream(response)) {
      assertEquals(10, in.read(new byte[10]));
    }
    assertTrue(aborted.get(), "aborted");
    assertEquals(10, read.get(), "nothing read past what the caller asked for");

    AtomicBoolean abortedAfterEnd = new AtomicBoolean();
    ResponseInputStream<GetObjectResponse> whole =
        new ResponseInputStream<>(
            GetObjectResponse.builder().contentLength(3L).build(),
            AbortableInputStream.create(
                new ByteArrayInputStream(new byte[3]), () -> abortedAfterEnd.set(true)));
    try (S3ObjectStream in = new S3ObjectStream(whole)) {
      assertEquals(3, in.readAllBytes().length);
    }
    assertFalse(abortedAfterEnd.get(), "a stream read to its end keeps its connection");
  }
}
