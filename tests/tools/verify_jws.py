#!/usr/bin/python3
"""Verifies a mimi-discovery assertion with jwcrypto, a standard JOSE library (interop test).

Usage: /usr/bin/python3 verify_jws.py JWKS_FILE JWS_FILE
Prints the payload and exits 0 when the JWS verifies under the key of the JWKS named by its kid;
prints the reason to stderr and exits 1 otherwise (2 on a usage error).
Needs Debian's python3-jwcrypto.
"""
import json
import sys

from jwcrypto import jwk, jws


def main(argv):
    if len(argv) != 3:
        print("usage: verify_jws.py JWKS_FILE JWS_FILE", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        keyset = jwk.JWKSet.from_json(f.read())
    with open(argv[2], encoding="utf-8") as f:
        token = f.read().strip()
    try:
        signed = jws.JWS()
        signed.deserialize(token)
        header = signed.jose_header
        if header.get("typ") != "mimi-mapping+jwt":
            raise ValueError("typ is not mimi-mapping+jwt")
        key = keyset.get_key(header.get("kid"))
        if key is None:
            raise ValueError("kid is not in the JWKS")
        signed.verify(key, alg="EdDSA")
    except Exception as e:  # jwcrypto raises several types; any of them means "not valid"
        print("invalid: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps(json.loads(signed.payload), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
