<?php

/**
 * Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature: v1,<base64>).
 *
 * Signs the calls a store module makes to printgate and verifies printgate's callbacks.
 * Plain PHP 7.1+, no platform dependency: shared by the OpenCart and PrestaShop packages.
 */

class PrintgateSigner
{
    public const TOLERANCE_S = 300;

    /** @var string raw HMAC key */
    private $key;

    public function __construct($secret)
    {
        $raw = (string) $secret;
        if (strpos($raw, 'whsec_') === 0) {
            $raw = substr($raw, 6);
        }
        $key = base64_decode($raw, true);
        if ($raw === '' || $key === false) {
            throw new PrintgateSignatureException('webhook secret is not a whsec_<base64> value');
        }
        $this->key = $key;
    }

    public static function newMessageId()
    {
        return 'msg_' . bin2hex(random_bytes(16));
    }

    /** The webhook-signature header value for one message. */
    public function sign($msgId, $timestamp, $body)
    {
        $signed = $msgId . '.' . (int) $timestamp . '.' . $body;

        return 'v1,' . base64_encode(hash_hmac('sha256', $signed, $this->key, true));
    }

    /** @return array<string,string> the three Standard Webhooks headers */
    public function headers($body, $msgId = null, $timestamp = null)
    {
        $msgId = $msgId === null ? self::newMessageId() : (string) $msgId;
        $timestamp = $timestamp === null ? time() : (int) $timestamp;

        return array(
            'webhook-id' => $msgId,
            'webhook-timestamp' => (string) $timestamp,
            'webhook-signature' => $this->sign($msgId, $timestamp, $body),
        );
    }

    /**
     * Verify a signed request; return its webhook-id.
     *
     * @param array<string,string> $headers any case
     * @throws PrintgateSignatureException
     */
    public function verify(array $headers, $body, $now = null, $tolerance = self::TOLERANCE_S)
    {
        $msgId = self::header($headers, 'webhook-id');
        $ts = self::header($headers, 'webhook-timestamp');
        $sigHeader = self::header($headers, 'webhook-signature');
        if ($msgId === null || $ts === null || $sigHeader === null || $msgId === '') {
            throw new PrintgateSignatureException('missing webhook-id, webhook-timestamp or webhook-signature');
        }
        if (!preg_match('/^\d{1,12}$/', trim($ts))) {
            throw new PrintgateSignatureException('webhook-timestamp is not an integer');
        }
        $ts = (int) trim($ts);
        $now = $now === null ? time() : (int) $now;
        if (abs($now - $ts) > $tolerance) {
            throw new PrintgateSignatureException('webhook-timestamp is outside the allowed tolerance');
        }
        $expected = substr($this->sign($msgId, $ts, $body), 3);
        foreach (preg_split('/\s+/', trim($sigHeader)) as $part) {
            if (strpos($part, 'v1,') === 0 && hash_equals($expected, substr($part, 3))) {
                return $msgId;
            }
        }
        throw new PrintgateSignatureException('signature does not match');
    }

    /** Case-insensitive header lookup; also accepts PHP's $_SERVER form (HTTP_WEBHOOK_ID). */
    public static function header(array $headers, $name)
    {
        $lower = strtolower($name);
        $server = 'http_' . str_replace('-', '_', $lower);
        foreach ($headers as $key => $value) {
            $k = strtolower((string) $key);
            if ($k === $lower || $k === $server) {
                return is_array($value) ? (string) reset($value) : (string) $value;
            }
        }

        return null;
    }
}
