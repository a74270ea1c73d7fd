"""The callback crypto against Tencent's official sample and wechatpy's deterministic vector (WECOM.md §1)."""
import base64

import pytest

from bot.edge.crypto import CallbackCrypto, CryptoError, cdata_safe, parse_xml, signature

# A. Tencent's official sample (sbzhu/weworkapi_python callback/Sample.py before commit 71441bf)
A_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
A_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
A_CORP = "ww1436e0e65a779aee"
A_GET = dict(msg_signature="012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", timestamp="1476416373", nonce="47744683",
             echostr="fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==")
A_POST = dict(msg_signature="0c3914025cb4b4d68103f6bfc8db550f79dcf48e", timestamp="1476422779", nonce="1597212914")
A_ENCRYPT = ("Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew"
             "+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZ"
             "H4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocu"
             "gux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+")
A_PLAIN = ("<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
           "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
           "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>")

# B. wechatpy tests/test_crypto.py (deterministic random prefix)
B_TOKEN = "123456"
B_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
B_CORP = "wx49f0ab532d5d035a"
B_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
B_ENCRYPT = ("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtOb"
             "vesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8"
             "NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5"
             "oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3")


def test_official_get_vector_verifies_and_decrypts():
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)
    plain = crypto.verify_and_decrypt(A_GET["msg_signature"], A_GET["timestamp"], A_GET["nonce"], A_GET["echostr"])
    assert plain == "1288432023552776189"


def test_official_post_vector_decrypts_to_the_documented_message():
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)
    plain = crypto.verify_and_decrypt(A_POST["msg_signature"], A_POST["timestamp"], A_POST["nonce"], A_ENCRYPT)
    assert plain == A_PLAIN
    raw = base64.b64decode(A_ENCRYPT)
    assert len(raw) == 288  # pad 22 proves the 32-byte block size
    assert parse_xml(plain)["Content"] == "你好"


def test_official_key_derivation():
    key = base64.b64decode(A_KEY + "=")
    assert key.hex() == "eaa91d32babaf274ca76ece72583b5037ed6da8120a64314be4b6d453a2a854b"


def test_wechatpy_deterministic_encrypt_vector():
    crypto = CallbackCrypto(B_TOKEN, B_KEY, B_CORP)
    envelope = parse_xml(crypto.encrypt_reply(B_REPLY, "461056294", "1411525903", random_prefix="1234567890123456"))
    assert envelope["Encrypt"] == B_ENCRYPT
    assert envelope["MsgSignature"] == "407518b7649e86ef23978113f92d27afa9296533"
    assert crypto.decrypt(envelope["Encrypt"]) == B_REPLY


def test_wechatpy_get_vector():
    crypto = CallbackCrypto(B_TOKEN, B_KEY, B_CORP)
    echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    assert crypto.verify_and_decrypt("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425",
                                     echostr) == "5927782489442352469"


def test_signature_is_sorted_sha1():
    assert signature(A_TOKEN, A_POST["timestamp"], A_POST["nonce"], A_ENCRYPT) == A_POST["msg_signature"]


def test_fresh_encryptions_differ_but_both_decrypt():
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)
    one, two = crypto.encrypt("同一条消息"), crypto.encrypt("同一条消息")
    assert one != two
    assert crypto.decrypt(one) == crypto.decrypt(two) == "同一条消息"


@pytest.mark.parametrize("mutate, code", [
    (lambda s: s[:-8] + "AAAAAAA=", CryptoError.DECRYPT),          # tampered tail: padding breaks
    (lambda s: "!!!" + s, CryptoError.DECRYPT),                     # not base64
    (lambda s: s[:40], CryptoError.DECRYPT),                        # truncated
])
def test_tampered_ciphertext_is_a_crypto_error(mutate, code):
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)
    with pytest.raises(CryptoError) as err:
        crypto.decrypt(mutate(A_ENCRYPT))
    assert err.value.code == code


def test_other_corp_id_is_refused():
    other = CallbackCrypto(A_TOKEN, A_KEY, "wwsomeoneelse")
    with pytest.raises(CryptoError) as err:
        other.decrypt(A_ENCRYPT)
    assert err.value.code == CryptoError.RECEIVE_ID


def test_wrong_signature_is_refused():
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)
    with pytest.raises(CryptoError) as err:
        crypto.verify("0" * 40, A_POST["timestamp"], A_POST["nonce"], A_ENCRYPT)
    assert err.value.code == CryptoError.SIGNATURE


def test_short_aes_key_is_refused():
    with pytest.raises(CryptoError):
        CallbackCrypto(A_TOKEN, A_KEY[:42], A_CORP)


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml>&lol2;</xml>',
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><xml/>',
    b"<xml><!ENTITY x 'y'></xml>",
])
def test_dtd_and_entities_are_refused_before_parsing(doc):
    with pytest.raises(CryptoError) as err:
        parse_xml(doc)
    assert err.value.code == CryptoError.XML


def test_parse_xml_lists_repeated_children():
    data = parse_xml("<xml><MemChangeList><Item>a</Item><Item>b</Item></MemChangeList><X> 1 </X></xml>")
    assert data == {"MemChangeList": {"Item": ["a", "b"]}, "X": "1"}


def test_cdata_cannot_be_closed_by_user_text():
    injected = "ok]]><MsgType>image</MsgType><![CDATA["
    doc = f"<xml><Content><![CDATA[{cdata_safe(injected)}]]></Content></xml>"
    assert parse_xml(doc) == {"Content": injected}
