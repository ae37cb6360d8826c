//! The Status List itself: a bit-packed array of statuses, ZLIB-compressed and base64url-encoded
//! into the `lst` member (draft-ietf-oauth-status-list-20, "Status List" and "Compressed Byte
//! Array").
//!
//! Entry `i` of a list with `bits` bits per entry lives in byte `i / (8 / bits)`, at bit offset
//! `(i % (8 / bits)) * bits`, packed from the least to the most significant bit.

use std::fmt;

use idv_jose::base64url;
use idv_proto::status_list::StatusList;
use miniz_oxide::deflate::{CompressionLevel, compress_to_vec_zlib};
use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};

use crate::error::StatusListError;

/// The number of bits per entry: 1, 2, 4 or 8 (draft-20 "Status List").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusBits {
    /// One bit: VALID or INVALID only.
    One = 1,
    /// Two bits: also SUSPENDED and the application-specific `0x03`.
    Two = 2,
    /// Four bits.
    Four = 4,
    /// Eight bits.
    Eight = 8,
}

impl StatusBits {
    /// From the wire value of `bits`; anything but 1, 2, 4 or 8 is rejected.
    pub fn parse(bits: u64) -> Result<Self, StatusListError> {
        match bits {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            4 => Ok(Self::Four),
            8 => Ok(Self::Eight),
            _ => Err(StatusListError::UnsupportedBits { bits }),
        }
    }

    /// The wire value.
    pub fn get(self) -> u8 {
        self as u8
    }

    /// The largest status value an entry can hold.
    pub fn max_value(self) -> u8 {
        // `bits` is at most 8, so the shift is computed in u16 and cannot overflow.
        ((1u16 << self.get()) - 1) as u8
    }

    fn entries_per_byte(self) -> u64 {
        8 / u64::from(self.get())
    }
}

impl TryFrom<u8> for StatusBits {
    type Error = StatusListError;

    fn try_from(bits: u8) -> Result<Self, Self::Error> {
        Self::parse(u64::from(bits))
    }
}

impl From<StatusBits> for u8 {
    fn from(bits: StatusBits) -> u8 {
        bits.get()
    }
}

impl fmt::Display for StatusBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A status value (draft-20 "Status Types").
///
/// Conversion from `u8` is total: values without a registered meaning land in
/// [`Status::ApplicationSpecific`] or [`Status::Reserved`], and the caller decides what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `0x00`: the referenced token is valid, correct or legal.
    Valid,
    /// `0x01`: revoked, annulled, taken back, recalled or cancelled (irreversible).
    Invalid,
    /// `0x02`: temporarily invalid.
    Suspended,
    /// `0x03` or `0x0C`–`0x0F`: meaning agreed by the application.
    ApplicationSpecific(u8),
    /// Any other value: reserved for future registration.
    Reserved(u8),
}

impl Status {
    /// True only for [`Status::Valid`]. Every other value, including unknown ones, is not valid.
    pub fn is_valid(self) -> bool {
        self == Self::Valid
    }

    /// The raw status value.
    pub fn value(self) -> u8 {
        match self {
            Self::Valid => 0x00,
            Self::Invalid => 0x01,
            Self::Suspended => 0x02,
            Self::ApplicationSpecific(v) | Self::Reserved(v) => v,
        }
    }
}

impl From<u8> for Status {
    fn from(value: u8) -> Self {
        match value {
            0x00 => Self::Valid,
            0x01 => Self::Invalid,
            0x02 => Self::Suspended,
            0x03 | 0x0C..=0x0F => Self::ApplicationSpecific(value),
            _ => Self::Reserved(value),
        }
    }
}

impl From<Status> for u8 {
    fn from(status: Status) -> u8 {
        status.value()
    }
}

/// A bit-packed status list of a fixed number of entries, all VALID when created.
///
/// The entry count is a multiple of `8 / bits` once decoded, since the byte array carries no
/// length of its own: the padding entries of the last byte are part of the list.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusListBuf {
    bits: StatusBits,
    len: u64,
    bytes: Vec<u8>,
}

impl fmt::Debug for StatusListBuf {
    // A list can hold millions of entries: show its shape, not its contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusListBuf")
            .field("bits", &self.bits)
            .field("len", &self.len)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl StatusListBuf {
    /// A list of `len` entries of `bits` bits each, every entry VALID (draft-20 recommends
    /// initialising to VALID).
    pub fn new(bits: StatusBits, len: u64) -> Result<Self, StatusListError> {
        let bytes = vec![0u8; byte_len(bits, len)?];
        Ok(Self { bits, len, bytes })
    }

    /// Wraps an uncompressed byte array; every entry of every byte is part of the list.
    pub fn from_bytes(bits: StatusBits, bytes: Vec<u8>) -> Self {
        let len = (bytes.len() as u64).saturating_mul(bits.entries_per_byte());
        Self { bits, len, bytes }
    }

    /// Bits per entry.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Grows the list to `new_len` entries, new entries VALID; never shrinks it, because indices
    /// already handed out must stay meaningful.
    pub fn grow_to(&mut self, new_len: u64) -> Result<(), StatusListError> {
        if new_len > self.len {
            self.bytes.resize(byte_len(self.bits, new_len)?, 0);
            self.len = new_len;
        }
        Ok(())
    }

    /// The status at `idx`.
    pub fn get(&self, idx: u64) -> Result<Status, StatusListError> {
        let (at, shift) = self.locate(idx)?;
        // Fail closed: a missing byte must never read as VALID.
        let byte = *self
            .bytes
            .get(at)
            .ok_or(StatusListError::IndexOutOfRange { idx, len: self.len })?;
        Ok(Status::from((byte >> shift) & self.bits.max_value()))
    }

    /// Sets the status at `idx`; fails when `idx` is out of range or the value needs more bits.
    pub fn set(&mut self, idx: u64, status: Status) -> Result<(), StatusListError> {
        let value = status.value();
        let mask = self.bits.max_value();
        if value > mask {
            return Err(StatusListError::ValueTooWide {
                value,
                bits: self.bits.get(),
            });
        }
        let (at, shift) = self.locate(idx)?;
        if let Some(byte) = self.bytes.get_mut(at) {
            *byte = (*byte & !(mask << shift)) | (value << shift);
        }
        Ok(())
    }

    /// Compresses with ZLIB at the highest level and encodes as base64url: the `lst` value.
    pub fn encode(&self) -> String {
        base64url::encode(compress_to_vec_zlib(
            &self.bytes,
            CompressionLevel::BestCompression.into(),
        ))
    }

    /// Decodes an `lst` value, refusing to inflate more than `max_decompressed_bytes`.
    ///
    /// Only ZLIB is accepted (raw DEFLATE and gzip are errors). The output buffer never grows
    /// past the cap, so a compression bomb costs at most `max_decompressed_bytes` of memory;
    /// bound the length of `lst` itself before calling (the verifier caps the whole token).
    pub fn decode(
        bits: StatusBits,
        lst: &str,
        max_decompressed_bytes: usize,
    ) -> Result<Self, StatusListError> {
        let compressed = base64url::decode(lst).ok_or(StatusListError::Base64)?;
        let bytes = decompress_to_vec_zlib_with_limit(&compressed, max_decompressed_bytes)
            .map_err(|e| match e.status {
                TINFLStatus::HasMoreOutput => StatusListError::TooLarge {
                    limit: max_decompressed_bytes,
                },
                _ => StatusListError::NotZlib,
            })?;
        Ok(Self::from_bytes(bits, bytes))
    }

    /// The `status_list` object of a Status List Token: `bits` and the encoded `lst`.
    pub fn to_status_list(&self, aggregation_uri: Option<String>) -> StatusList {
        StatusList {
            bits: self.bits.get(),
            lst: self.encode(),
            aggregation_uri,
        }
    }

    /// Decodes a `status_list` object: checks `bits`, then [`StatusListBuf::decode`]s `lst`.
    pub fn from_status_list(
        status_list: &StatusList,
        max_decompressed_bytes: usize,
    ) -> Result<Self, StatusListError> {
        let bits = StatusBits::try_from(status_list.bits)?;
        Self::decode(bits, &status_list.lst, max_decompressed_bytes)
    }

    /// The byte holding entry `idx` and the entry's bit offset within it. Both are in range on
    /// success: `len` never exceeds the entries the byte array holds.
    fn locate(&self, idx: u64) -> Result<(usize, u32), StatusListError> {
        let per_byte = self.bits.entries_per_byte();
        let at = usize::try_from(idx / per_byte)
            .ok()
            .filter(|&at| idx < self.len && at < self.bytes.len())
            .ok_or(StatusListError::IndexOutOfRange { idx, len: self.len })?;
        // The remainder is below 8 / bits, so the shift is below 8.
        let shift = (idx % per_byte) as u32 * u32::from(self.bits.get());
        Ok((at, shift))
    }
}

/// Bytes needed for `len` entries: `ceil(len * bits / 8)`.
fn byte_len(bits: StatusBits, len: u64) -> Result<usize, StatusListError> {
    usize::try_from(len.div_ceil(bits.entries_per_byte()))
        .map_err(|_| StatusListError::CapacityOverflow { len })
}

#[cfg(test)]
mod tests;
