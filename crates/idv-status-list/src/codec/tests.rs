use idv_jose::random::{DeterministicRandom, Random as _};
use miniz_oxide::deflate::compress_to_vec;

use super::*;

const MIB: usize = 1 << 20;

fn statuses(list: &StatusListBuf) -> Vec<u8> {
    (0..list.len())
        .map(|i| list.get(i).unwrap().value())
        .collect()
}

#[test]
fn draft_vector_with_one_bit_decodes_to_the_listed_statuses() {
    let list = StatusListBuf::decode(StatusBits::One, "eNrbuRgAAhcBXQ", MIB).unwrap();
    assert_eq!(list.as_bytes(), [0xb9, 0xa3]);
    assert_eq!(
        statuses(&list),
        [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    );
}

#[test]
fn draft_vector_with_two_bits_decodes_to_the_listed_statuses() {
    let list = StatusListBuf::decode(StatusBits::Two, "eNo76fITAAPfAgc", MIB).unwrap();
    assert_eq!(list.as_bytes(), [0xc9, 0x44, 0xf9]);
    assert_eq!(statuses(&list), [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
}

#[test]
fn draft_vectors_built_entry_by_entry_encode_to_lists_that_decode_identically() {
    for (bits, values, lst) in [
        (
            StatusBits::One,
            &[1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1][..],
            "eNrbuRgAAhcBXQ",
        ),
        (
            StatusBits::Two,
            &[1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3][..],
            "eNo76fITAAPfAgc",
        ),
    ] {
        let mut built = StatusListBuf::new(bits, values.len() as u64).unwrap();
        for (i, &v) in values.iter().enumerate() {
            built.set(i as u64, Status::from(v)).unwrap();
        }
        let expected = StatusListBuf::decode(bits, lst, MIB).unwrap();
        assert_eq!(built, expected);
        let round_tripped = StatusListBuf::decode(bits, &built.encode(), MIB).unwrap();
        assert_eq!(round_tripped, expected);
    }
}

#[test]
fn million_entry_list_round_trips() {
    let rng = DeterministicRandom::new(7);
    let mut list = StatusListBuf::new(StatusBits::Two, 1_000_000).unwrap();
    let mut noise = vec![0u8; 1_000_000];
    rng.fill(&mut noise);
    for (i, n) in noise.iter().enumerate() {
        // About one entry in eight is not VALID, as in a long-lived list.
        if n & 0b111 == 0 {
            list.set(i as u64, Status::from(n >> 6)).unwrap();
        }
    }
    assert_eq!(list.as_bytes().len(), 250_000);
    let lst = list.encode();
    let decoded = StatusListBuf::decode(StatusBits::Two, &lst, 16 * MIB).unwrap();
    assert_eq!(decoded, list);
    assert_eq!(decoded.get(999_999).unwrap(), list.get(999_999).unwrap());
}

#[test]
fn zlib_bomb_is_rejected_under_the_cap() {
    let bomb = zlib_zeros(100 * MIB);
    assert!(bomb.len() < MIB, "the bomb is small: {} bytes", bomb.len());
    let err = StatusListBuf::decode(StatusBits::One, &base64url::encode(&bomb), 16 * MIB);
    assert_eq!(err, Err(StatusListError::TooLarge { limit: 16 * MIB }));
}

#[test]
fn hand_built_zlib_stream_is_valid() {
    // Checks the bomb builder itself: the same construction, small enough to inflate.
    let lst = base64url::encode(zlib_zeros(100_003));
    let list = StatusListBuf::decode(StatusBits::Eight, &lst, MIB).unwrap();
    assert_eq!(list.as_bytes(), vec![0u8; 100_003]);
}

#[test]
fn list_exactly_at_the_cap_is_accepted_and_one_byte_over_is_not() {
    let list = StatusListBuf::new(StatusBits::Eight, 4096).unwrap();
    let lst = list.encode();
    assert!(StatusListBuf::decode(StatusBits::Eight, &lst, 4096).is_ok());
    assert_eq!(
        StatusListBuf::decode(StatusBits::Eight, &lst, 4095),
        Err(StatusListError::TooLarge { limit: 4095 })
    );
}

#[test]
fn raw_deflate_is_rejected() {
    for bytes in [&[0xb9u8, 0xa3][..], &[0u8; 1000][..], b"status"] {
        let lst = base64url::encode(compress_to_vec(bytes, 9));
        assert_eq!(
            StatusListBuf::decode(StatusBits::One, &lst, MIB),
            Err(StatusListError::NotZlib)
        );
    }
}

#[test]
fn gzip_is_rejected() {
    let lst = base64url::encode(gzip(&[0xb9, 0xa3]));
    assert_eq!(
        StatusListBuf::decode(StatusBits::One, &lst, MIB),
        Err(StatusListError::NotZlib)
    );
}

#[test]
fn truncated_and_corrupt_zlib_is_rejected() {
    let good = base64url::decode("eNrbuRgAAhcBXQ").unwrap();
    let truncated = &good[..good.len() - 2];
    let mut bad_checksum = good.clone();
    if let Some(last) = bad_checksum.last_mut() {
        *last ^= 1;
    }
    for bytes in [&[][..], truncated, &bad_checksum] {
        assert_eq!(
            StatusListBuf::decode(StatusBits::One, &base64url::encode(bytes), MIB),
            Err(StatusListError::NotZlib)
        );
    }
}

#[test]
fn invalid_base64url_is_rejected() {
    for lst in [
        "eNrbuRgAAhcBXQ==",
        "eNrb+RgAAhcBXQ",
        "eNrb/RgAAhcBXQ",
        "eNrb uRgAAhcBXQ",
        "é",
    ] {
        assert_eq!(
            StatusListBuf::decode(StatusBits::One, lst, MIB),
            Err(StatusListError::Base64),
            "{lst}"
        );
    }
}

#[test]
fn only_one_two_four_and_eight_bits_are_supported() {
    for ok in [1u64, 2, 4, 8] {
        assert_eq!(u64::from(StatusBits::parse(ok).unwrap().get()), ok);
    }
    for bad in [0u64, 3, 5, 6, 7, 9, 16, u64::MAX] {
        assert_eq!(
            StatusBits::parse(bad),
            Err(StatusListError::UnsupportedBits { bits: bad })
        );
    }
    assert_eq!(
        StatusBits::try_from(3u8),
        Err(StatusListError::UnsupportedBits { bits: 3 })
    );
}

#[test]
fn status_values_round_trip_through_u8() {
    for v in 0..=u8::MAX {
        assert_eq!(u8::from(Status::from(v)), v);
    }
    assert_eq!(Status::from(0), Status::Valid);
    assert_eq!(Status::from(1), Status::Invalid);
    assert_eq!(Status::from(2), Status::Suspended);
    assert_eq!(Status::from(3), Status::ApplicationSpecific(3));
    assert_eq!(Status::from(0x0c), Status::ApplicationSpecific(0x0c));
    assert_eq!(Status::from(0x0f), Status::ApplicationSpecific(0x0f));
    assert_eq!(Status::from(0x04), Status::Reserved(0x04));
    assert_eq!(Status::from(0x10), Status::Reserved(0x10));
    assert!(Status::Valid.is_valid());
    assert!(!Status::Suspended.is_valid());
    assert!(!Status::ApplicationSpecific(3).is_valid());
}

#[test]
fn entries_are_packed_from_least_to_most_significant_bit() {
    let mut list = StatusListBuf::new(StatusBits::Four, 4).unwrap();
    list.set(0, Status::from(0x0c)).unwrap();
    list.set(1, Status::Invalid).unwrap();
    list.set(3, Status::Suspended).unwrap();
    assert_eq!(list.as_bytes(), [0x1c, 0x20]);
    list.set(1, Status::Valid).unwrap();
    assert_eq!(list.as_bytes(), [0x0c, 0x20]);
}

#[test]
fn value_wider_than_the_entry_is_rejected() {
    let mut list = StatusListBuf::new(StatusBits::One, 8).unwrap();
    assert_eq!(
        list.set(0, Status::Suspended),
        Err(StatusListError::ValueTooWide { value: 2, bits: 1 })
    );
    let mut list = StatusListBuf::new(StatusBits::Four, 8).unwrap();
    assert_eq!(
        list.set(0, Status::Reserved(0x10)),
        Err(StatusListError::ValueTooWide {
            value: 0x10,
            bits: 4
        })
    );
    assert_eq!(list.as_bytes(), [0; 4]);
}

#[test]
fn indices_outside_the_list_are_errors() {
    let mut list = StatusListBuf::new(StatusBits::Two, 5).unwrap();
    assert_eq!(list.len(), 5);
    for idx in [5, 8, u64::MAX] {
        let out = StatusListError::IndexOutOfRange { idx, len: 5 };
        assert_eq!(list.get(idx), Err(out.clone()));
        assert_eq!(list.set(idx, Status::Invalid), Err(out));
    }
    let empty = StatusListBuf::new(StatusBits::One, 0).unwrap();
    assert!(empty.is_empty());
    assert!(empty.get(0).is_err());
}

#[test]
fn decoded_list_includes_the_padding_entries_of_its_last_byte() {
    let mut list = StatusListBuf::new(StatusBits::One, 3).unwrap();
    list.set(2, Status::Invalid).unwrap();
    let decoded = StatusListBuf::decode(StatusBits::One, &list.encode(), MIB).unwrap();
    assert_eq!(decoded.len(), 8);
    assert_eq!(decoded.get(2), Ok(Status::Invalid));
    assert_eq!(decoded.get(7), Ok(Status::Valid));
}

#[test]
fn growing_keeps_existing_entries_and_never_shrinks() {
    let mut list = StatusListBuf::new(StatusBits::Two, 3).unwrap();
    list.set(2, Status::Suspended).unwrap();
    list.grow_to(1000).unwrap();
    assert_eq!(list.len(), 1000);
    assert_eq!(list.get(2), Ok(Status::Suspended));
    assert_eq!(list.get(999), Ok(Status::Valid));
    list.grow_to(10).unwrap();
    assert_eq!(list.len(), 1000);
}

#[test]
fn debug_shows_the_shape_not_the_contents() {
    let list = StatusListBuf::new(StatusBits::One, 80).unwrap();
    assert_eq!(
        format!("{list:?}"),
        "StatusListBuf { bits: One, len: 80, bytes: 10 }"
    );
}

/// A valid ZLIB stream inflating to `n` zero bytes, built by hand so the test does not have to
/// compress 100 MiB: one fixed-Huffman block of a literal 0 then length-258, distance-1 matches.
fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(0b01, 2); // BTYPE = fixed Huffman
    let mut left = n;
    if left > 0 {
        w.code(0x30, 8); // literal 0
        left -= 1;
    }
    while left >= 258 {
        w.code(0xc5, 8); // length code 285: length 258, no extra bits
        w.code(0, 5); // distance code 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        w.code(0x30, 8);
    }
    w.code(0, 7); // end of block
    let mut out = vec![0x78, 0xda];
    out.extend(w.finish());
    // Adler-32 of n zeros: a = 1, b = n * 1.
    let adler = (((n % 65521) as u32) << 16) | 1;
    out.extend(adler.to_be_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl BitWriter {
    /// Appends `n` bits of `value`, least significant first (DEFLATE data elements).
    fn bits(&mut self, value: u64, n: u32) {
        self.acc |= value << self.len;
        self.len += n;
        while self.len >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    /// Appends an `n`-bit Huffman code, most significant bit first.
    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.bits(reversed, n);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A gzip member (RFC 1952) around a raw DEFLATE stream.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    out.extend(compress_to_vec(data, 9));
    let crc = data.iter().fold(!0u32, |mut crc, &b| {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
        crc
    });
    out.extend((!crc).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}
