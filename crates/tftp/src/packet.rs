//! TFTP packets (RFC 1350, with RFC 2347 options): decoding any datagram
//! into a [`Packet`] or an error, and encoding the ones a server sends.
//! Decoding never panics; every length is checked.

/// TFTP error codes (RFC 1350 §5, RFC 2347 for 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTid = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionRefused = 8,
}

impl ErrorCode {
    pub fn from_u16(v: u16) -> ErrorCode {
        match v {
            1 => ErrorCode::FileNotFound,
            2 => ErrorCode::AccessViolation,
            3 => ErrorCode::DiskFull,
            4 => ErrorCode::IllegalOperation,
            5 => ErrorCode::UnknownTid,
            6 => ErrorCode::FileExists,
            7 => ErrorCode::NoSuchUser,
            8 => ErrorCode::OptionRefused,
            _ => ErrorCode::NotDefined,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Octet,
    Netascii,
    Mail,
}

/// A read or write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub filename: String,
    pub mode: Mode,
    /// Options in request order, names lowercased (RFC 2347: case-insensitive).
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    Rrq(Request),
    Wrq(Request),
    Data { block: u16, data: &'a [u8] },
    Ack { block: u16 },
    Error { code: ErrorCode, message: String },
    Oack(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{0} bytes is too short for a TFTP packet")]
    TooShort(usize),
    #[error("unknown opcode {0}")]
    UnknownOpcode(u16),
    #[error("the file name or mode is not NUL-terminated")]
    Unterminated,
    #[error("unknown transfer mode {0:?}")]
    BadMode(String),
    #[error("an option has no value")]
    OptionWithoutValue,
    #[error("a request is longer than 512 bytes")]
    RequestTooLong,
}

pub const OP_RRQ: u16 = 1;
pub const OP_WRQ: u16 = 2;
pub const OP_DATA: u16 = 3;
pub const OP_ACK: u16 = 4;
pub const OP_ERROR: u16 = 5;
pub const OP_OACK: u16 = 6;

impl<'a> Packet<'a> {
    pub fn decode(buf: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
        if buf.len() < 4 {
            return Err(DecodeError::TooShort(buf.len()));
        }
        let op = u16::from_be_bytes([buf[0], buf[1]]);
        let body = &buf[2..];
        match op {
            OP_RRQ | OP_WRQ => {
                let req = decode_request(body)?;
                Ok(if op == OP_RRQ {
                    Packet::Rrq(req)
                } else {
                    Packet::Wrq(req)
                })
            }
            OP_DATA => Ok(Packet::Data {
                block: u16::from_be_bytes([body[0], body[1]]),
                data: &body[2..],
            }),
            OP_ACK => Ok(Packet::Ack {
                block: u16::from_be_bytes([body[0], body[1]]),
            }),
            OP_ERROR => {
                let code = ErrorCode::from_u16(u16::from_be_bytes([body[0], body[1]]));
                let msg = &body[2..];
                let end = msg.iter().position(|&b| b == 0).unwrap_or(msg.len());
                Ok(Packet::Error {
                    code,
                    message: String::from_utf8_lossy(&msg[..end]).into_owned(),
                })
            }
            OP_OACK => {
                let strings = nul_strings(body)?;
                if !strings.len().is_multiple_of(2) {
                    return Err(DecodeError::OptionWithoutValue);
                }
                Ok(Packet::Oack(
                    strings
                        .chunks(2)
                        .map(|kv| (kv[0].to_ascii_lowercase(), kv[1].clone()))
                        .collect(),
                ))
            }
            other => Err(DecodeError::UnknownOpcode(other)),
        }
    }
}

fn nul_strings(body: &[u8]) -> Result<Vec<String>, DecodeError> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == 0).ok_or(DecodeError::Unterminated)?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Ok(out)
}

fn decode_request(body: &[u8]) -> Result<Request, DecodeError> {
    if body.len() > 512 {
        return Err(DecodeError::RequestTooLong);
    }
    let mut strings = nul_strings(body)?.into_iter();
    let filename = strings.next().ok_or(DecodeError::Unterminated)?;
    let mode_text = strings.next().ok_or(DecodeError::Unterminated)?;
    let mode = match mode_text.to_ascii_lowercase().as_str() {
        "octet" => Mode::Octet,
        "netascii" => Mode::Netascii,
        "mail" => Mode::Mail,
        _ => return Err(DecodeError::BadMode(mode_text)),
    };
    let rest: Vec<String> = strings.collect();
    // Some clients pad with a trailing empty string; ignore one odd empty.
    let rest: Vec<String> = if !rest.len().is_multiple_of(2) && rest.last().is_some_and(String::is_empty) {
        rest[..rest.len() - 1].to_vec()
    } else {
        rest
    };
    if !rest.len().is_multiple_of(2) {
        return Err(DecodeError::OptionWithoutValue);
    }
    let options = rest
        .chunks(2)
        .map(|kv| (kv[0].to_ascii_lowercase(), kv[1].clone()))
        .collect();
    Ok(Request {
        filename,
        mode,
        options,
    })
}

/// `DATA` header for `block`, written into the first 4 bytes of `buf`.
pub fn data_header(block: u16) -> [u8; 4] {
    let b = block.to_be_bytes();
    [0, OP_DATA as u8, b[0], b[1]]
}

pub fn encode_error(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut out = vec![0, OP_ERROR as u8];
    out.extend_from_slice(&(code as u16).to_be_bytes());
    // Bounded: a message never makes an oversized packet.
    out.extend_from_slice(&message.as_bytes()[..message.len().min(400)]);
    out.push(0);
    out
}

pub fn encode_oack(options: &[(String, String)]) -> Vec<u8> {
    let mut out = vec![0, OP_OACK as u8];
    for (k, v) in options {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

pub fn encode_request(op: u16, filename: &str, mode: &str, options: &[(&str, &str)]) -> Vec<u8> {
    let mut out = op.to_be_bytes().to_vec();
    for s in [filename, mode] {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    for (k, v) in options {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

pub fn encode_ack(block: u16) -> Vec<u8> {
    let b = block.to_be_bytes();
    vec![0, OP_ACK as u8, b[0], b[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let b = encode_request(OP_RRQ, "undionly.kpxe", "octet", &[("tsize", "0"), ("BLKSIZE", "1468")]);
        let Packet::Rrq(r) = Packet::decode(&b).unwrap() else {
            panic!()
        };
        assert_eq!(r.filename, "undionly.kpxe");
        assert_eq!(r.mode, Mode::Octet);
        assert_eq!(
            r.options,
            vec![("tsize".into(), "0".into()), ("blksize".into(), "1468".into())]
        );
        let b = encode_request(OP_WRQ, "x", "NetASCII", &[]);
        assert!(matches!(
            Packet::decode(&b),
            Ok(Packet::Wrq(Request {
                mode: Mode::Netascii,
                ..
            }))
        ));
    }

    #[test]
    fn bad_packets() {
        assert_eq!(Packet::decode(&[0, 1]), Err(DecodeError::TooShort(2)));
        assert_eq!(Packet::decode(&[0, 9, 0, 0]), Err(DecodeError::UnknownOpcode(9)));
        assert_eq!(Packet::decode(b"\x00\x01abc\x00oct"), Err(DecodeError::Unterminated));
        assert!(matches!(
            Packet::decode(b"\x00\x01abc\x00bogus\x00"),
            Err(DecodeError::BadMode(_))
        ));
        assert_eq!(
            Packet::decode(b"\x00\x01abc\x00octet\x00tsize\x00"),
            Err(DecodeError::OptionWithoutValue)
        );
        let long = [&[0u8, 1][..], &[b'a'; 600], b"\x00octet\x00"].concat();
        assert_eq!(Packet::decode(&long), Err(DecodeError::RequestTooLong));
    }

    #[test]
    fn others() {
        assert_eq!(Packet::decode(&encode_ack(7)), Ok(Packet::Ack { block: 7 }));
        assert_eq!(
            Packet::decode(&encode_error(ErrorCode::FileNotFound, "nope")),
            Ok(Packet::Error {
                code: ErrorCode::FileNotFound,
                message: "nope".into()
            })
        );
        let data = [&data_header(3)[..], b"xyz"].concat();
        assert_eq!(Packet::decode(&data), Ok(Packet::Data { block: 3, data: b"xyz" }));
        let oack = encode_oack(&[("tsize".into(), "10".into())]);
        assert_eq!(
            Packet::decode(&oack),
            Ok(Packet::Oack(vec![("tsize".into(), "10".into())]))
        );
    }
}
