"""The WXBizMsgCrypt scheme, thin over wechatpy's cipher, plus safe XML parsing.

wechatpy 1.8.18 supplies the AES-256-CBC cipher and the envelope layout. Around it we fix what it leaves
weak (WECOM.md §6): signatures compared in constant time, the random prefix drawn from ``secrets``,
padding and length fields validated instead of raising struct/index errors, the receive-id compared before
the plaintext is used, and XML read by bot.edge.xmlsafe (UTF-8 only, no DTD or entities).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any

from wechatpy.crypto import PrpCrypto

from bot.edge import xmlsafe


class CryptoError(Exception):
    """A callback that fails verification or decryption; ``code`` follows the official sample's codes."""

    SIGNATURE = -40001
    XML = -40002
    AES_KEY = -40004
    RECEIVE_ID = -40005
    DECRYPT = -40007
    # What a refusal is counted under (bot.edge.stats); XML problems say which kind themselves.
    KINDS = {SIGNATURE: "signature", XML: "malformed", RECEIVE_ID: "receive_id", DECRYPT: "decrypt"}

    def __init__(self, code: int, reason: str, kind: str | None = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.kind = kind or self.KINDS.get(code, "malformed")


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """msg_signature: sha1 over the four strings sorted and joined (WECOM.md §1)."""
    joined = "".join(sorted([token, str(timestamp), str(nonce), encrypt]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


class _Prp(PrpCrypto):
    """wechatpy's PrpCrypto with a cryptographic random prefix (overridable for test vectors)."""

    def __init__(self, key: bytes, random_prefix: str | None = None):
        super().__init__(key)
        self._fixed_prefix = random_prefix

    def get_random_string(self) -> str:
        return self._fixed_prefix or secrets.token_hex(8)


class CallbackCrypto:
    """Verify, decrypt and encrypt callback payloads for one corp's app."""

    def __init__(self, token: str, aes_key: str, corp_id: str):
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise CryptoError(CryptoError.AES_KEY, "EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._corp_id = corp_id
        self._prp = _Prp(key)

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self._token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Constant-time signature check; raises CryptoError(-40001)."""
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), (msg_signature or "").encode()):
            raise CryptoError(CryptoError.SIGNATURE, "signature mismatch")

    def decrypt(self, encrypt: str) -> str:
        """Base64 ciphertext -> message text; checks padding, length and receive-id."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError(CryptoError.DECRYPT, "ciphertext is not base64") from None
        if not raw or len(raw) % 32:
            raise CryptoError(CryptoError.DECRYPT, "ciphertext length is not a multiple of 32")
        plain = self._prp.cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError(CryptoError.DECRYPT, "bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CryptoError(CryptoError.DECRYPT, "plaintext too short")
        (length,) = struct.unpack(">I", content[:4])
        if 4 + length > len(content):
            raise CryptoError(CryptoError.DECRYPT, "length field exceeds plaintext")
        receive_id = content[4 + length:]
        if not hmac.compare_digest(receive_id, self._corp_id.encode()):
            raise CryptoError(CryptoError.RECEIVE_ID, "receive-id does not match the corp id")
        try:
            return content[4:4 + length].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError(CryptoError.DECRYPT, "plaintext is not UTF-8") from None

    def encrypt(self, plaintext: str, random_prefix: str | None = None) -> str:
        """Message text -> base64 ciphertext (fresh random prefix unless one is given)."""
        prp = _Prp(self._key, random_prefix) if random_prefix else self._prp
        return prp.encrypt(plaintext, self._corp_id).decode("ascii")

    def encrypt_reply(self, plaintext: str, nonce: str, timestamp: str | None = None,
                      random_prefix: str | None = None) -> str:
        """The passive-reply envelope: encrypted, signed XML."""
        timestamp = timestamp or str(int(time.time()))
        encrypt = self.encrypt(plaintext, random_prefix)
        sig = self.sign(timestamp, nonce, encrypt)
        return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{sig}]]></MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{cdata_safe(nonce)}]]></Nonce></xml>")

    def verify_and_decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        self.verify(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """Parse a callback XML document into a dict; refuses non-UTF-8, DTDs and malformed input with
    CryptoError(-40002). Children become keys; repeated children become lists; leaves become stripped text."""
    try:
        return xmlsafe.parse(data)
    except xmlsafe.XmlRefused as exc:
        raise CryptoError(CryptoError.XML, exc.reason, exc.kind) from None


def envelope_encrypt(data: bytes) -> str:
    """The Encrypt value of a POST envelope ('' when absent); same refusals as parse_xml."""
    value = parse_xml(data).get("Encrypt", "")
    return value if isinstance(value, str) else ""


def cdata_safe(text: str) -> str:
    """Text safe inside CDATA: splits any ']]>' so echoed user text cannot close the section."""
    return text.replace("]]>", "]]]]><![CDATA[>")
