<?php
/**
 * The printgate REST API as the store plugin uses it.
 *
 * No WordPress functions: the transport is injected (Printgate_WP_Transport in WordPress, a
 * recording fake under php-cli tests), so URL, header and body building is testable on its own.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Client for printgate's API, authenticated with the secret key.
 */
class Printgate_Api_Client {

	const DEFAULT_TIMEOUT  = 15;
	const DOWNLOAD_TIMEOUT = 300;

	/**
	 * The printgate base URL, without trailing slash.
	 *
	 * @var string
	 */
	private $base_url;

	/**
	 * The secret key (`sk_...`).
	 *
	 * @var string
	 */
	private $secret_key;

	/**
	 * Signs POST /orders; null when no webhook secret is set.
	 *
	 * @var Printgate_Signer|null
	 */
	private $signer;

	/**
	 * The HTTP transport.
	 *
	 * @var Printgate_Transport
	 */
	private $transport;

	/**
	 * The User-Agent header.
	 *
	 * @var string
	 */
	private $user_agent;

	/**
	 * A client for one printgate URL and secret key.
	 *
	 * @param string                $base_url   printgate's base URL, e.g. http://127.0.0.1:8000.
	 * @param string                $secret_key `sk_...`.
	 * @param Printgate_Signer|null $signer     Signs POST /orders; null when no webhook secret is set.
	 * @param Printgate_Transport   $transport  HTTP transport.
	 * @param string                $user_agent User-Agent header.
	 */
	public function __construct( $base_url, $secret_key, $signer, Printgate_Transport $transport, $user_agent = 'printgate-for-woocommerce' ) {
		$this->base_url   = rtrim( trim( (string) $base_url ), '/' );
		$this->secret_key = trim( (string) $secret_key );
		$this->signer     = $signer;
		$this->transport  = $transport;
		$this->user_agent = (string) $user_agent;
	}

	/**
	 * The printgate base URL, without trailing slash.
	 *
	 * @return string
	 */
	public function base_url() {
		return $this->base_url;
	}

	/**
	 * Whether a value looks like a printgate/Filecheck id (`job_...`, `wf_...`, `task_...`).
	 * Keeps anything else out of URLs.
	 *
	 * @param mixed $value Candidate id.
	 * @return bool
	 */
	public static function is_valid_id( $value ) {
		return is_string( $value ) && 1 === preg_match( '/^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$/', $value );
	}

	/**
	 * GET /workflows: the test-connection call and the default-workflow dropdown.
	 *
	 * @return array<int,array{id:string,name:string,enabled:bool}>
	 * @throws Printgate_Api_Exception On a non-2xx answer (401 means a bad secret key).
	 */
	public function list_workflows() {
		$data = $this->get_json( '/workflows' );
		if ( isset( $data['workflows'] ) && is_array( $data['workflows'] ) ) {
			$rows = $data['workflows'];
		} elseif ( isset( $data['rules'] ) && is_array( $data['rules'] ) ) {
			$rows = $data['rules']; // Legacy Filecheck envelope.
		} elseif ( isset( $data['data'] ) && is_array( $data['data'] ) ) {
			$rows = $data['data'];
		} else {
			$rows = array_values( array_filter( $data, 'is_array' ) );
		}
		$out = array();
		foreach ( $rows as $row ) {
			if ( ! is_array( $row ) || ! isset( $row['id'] ) || ! self::is_valid_id( $row['id'] ) ) {
				continue;
			}
			$out[] = array(
				'id'      => $row['id'],
				'name'    => isset( $row['name'] ) && '' !== (string) $row['name'] ? (string) $row['name'] : $row['id'],
				'enabled' => ! isset( $row['enabled'] ) || (bool) $row['enabled'],
			);
		}
		return $out;
	}

	/**
	 * GET /jobs/{id}, optionally with `?expand=runs`; the job itself either way.
	 *
	 * @param string $job_id      Job id.
	 * @param bool   $expand_runs Ask for `{id, status, outcome, canProceed, runs}`.
	 * @return array
	 * @throws Printgate_Api_Exception On a non-2xx answer or an invalid id.
	 */
	public function get_job( $job_id, $expand_runs = false ) {
		$this->assert_id( $job_id );
		$data = $this->get_json( '/jobs/' . rawurlencode( $job_id ) . ( $expand_runs ? '?expand=runs' : '' ) );
		// The plain read is enveloped (`{job: {...}}`, OpenAPI JobResponse); `?expand=runs` is flat.
		if ( isset( $data['job'] ) && is_array( $data['job'] ) && ! isset( $data['id'] ) ) {
			$data = $data['job'];
		}
		return $data;
	}

	/**
	 * Whether a fetched job lets the customer proceed: printgate's own `canProceed` (never
	 * re-derived here) and, when the job names its workflow, the expected workflow.
	 *
	 * @param array       $job         Job body from get_job().
	 * @param string|null $workflow_id Workflow the product expects, null for any.
	 * @return bool
	 */
	public static function job_can_proceed( array $job, $workflow_id = null ) {
		if ( ! isset( $job['canProceed'] ) || true !== $job['canProceed'] ) {
			return false;
		}
		if ( $workflow_id && isset( $job['workflowId'] ) && is_string( $job['workflowId'] ) && '' !== $job['workflowId'] ) {
			return $job['workflowId'] === $workflow_id;
		}
		return true;
	}

	/**
	 * POST /orders/{orderId}: Bearer secret key plus Standard Webhooks signature headers.
	 *
	 * @param array       $payload   Body from Printgate_Order_Payload::build().
	 * @param string|null $msg_id    `webhook-id`; keep it stable while retrying one message.
	 * @param int|null    $timestamp Unix seconds; now when null (always fresh when retrying).
	 * @return array Decoded answer (may be empty).
	 * @throws Printgate_Api_Exception On a non-2xx answer or when no webhook secret is set.
	 */
	public function capture_order( array $payload, $msg_id = null, $timestamp = null ) {
		if ( null === $this->signer ) {
			throw new Printgate_Api_Exception( 'No webhook secret configured: cannot sign the order.' );
		}
		if ( ! isset( $payload['orderId'] ) || '' === (string) $payload['orderId'] ) {
			throw new Printgate_Api_Exception( 'The order payload has no orderId.' );
		}
		$body    = self::encode_json( $payload );
		$headers = array_merge(
			$this->auth_headers(),
			array( 'Content-Type' => 'application/json' ),
			$this->signer->headers( $body, $msg_id, $timestamp )
		);
		$url      = $this->base_url . '/orders/' . rawurlencode( (string) $payload['orderId'] );
		$response = $this->send( 'POST', $url, $headers, $body );
		return self::decode( $response, true );
	}

	/**
	 * GET /jobs/{id}/runs/{runId}/output into a local file (never into the browser directly).
	 *
	 * The printgate server either streams the file or redirects to signed storage. The redirect is followed
	 * here, not by the transport, so the secret key is only sent on to printgate's own origin
	 * (a pre-signed storage URL would reject, and must never receive, the Authorization header).
	 *
	 * @param string $job_id Job id.
	 * @param string $run_id Run id.
	 * @param string $file   Writable file path.
	 * @return array{content_type:string, file_name:string}
	 * @throws Printgate_Api_Exception On a non-2xx answer or an invalid id.
	 */
	public function download_run_output( $job_id, $run_id, $file ) {
		$this->assert_id( $job_id );
		$this->assert_id( $run_id );
		$url      = $this->base_url . '/jobs/' . rawurlencode( $job_id ) . '/runs/' . rawurlencode( $run_id ) . '/output';
		$options  = array(
			'timeout'          => self::DOWNLOAD_TIMEOUT,
			'stream_to'        => $file,
			'follow_redirects' => false,
		);
		$response = $this->send( 'GET', $url, $this->auth_headers(), null, $options, true );
		if ( $response['status'] >= 300 ) {
			$location = self::response_header( $response, 'location', '' );
			if ( '' === $location ) {
				throw new Printgate_Api_Exception( 'printgate redirected without a Location.', $response['status'] ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped -- plain text; escaped where it is shown.
			}
			return $this->fetch_to_file( $location, $file, self::DOWNLOAD_TIMEOUT );
		}
		return self::file_info( $response );
	}

	/**
	 * Fetch a proof image (a `proofs[].url` from a run) into a local file.
	 *
	 * @param string $url  Absolute http(s) URL, or a path relative to printgate.
	 * @param string $file Writable file path.
	 * @return array{content_type:string, file_name:string}
	 * @throws Printgate_Api_Exception On a non-2xx answer or a non-http URL.
	 */
	public function fetch_asset( $url, $file ) {
		return $this->fetch_to_file( $url, $file, 60 );
	}

	/**
	 * GET a URL into a file. The secret key is only sent when the URL points at printgate itself;
	 * a URL elsewhere (e.g. a pre-signed storage URL) is fetched without credentials.
	 *
	 * @param string $url     Absolute http(s) URL, or a path relative to printgate.
	 * @param string $file    Writable file path.
	 * @param int    $timeout Seconds.
	 * @return array{content_type:string, file_name:string}
	 * @throws Printgate_Api_Exception When printgate cannot be asked or answers with an error.
	 */
	private function fetch_to_file( $url, $file, $timeout ) {
		$url = (string) $url;
		if ( 0 === strpos( $url, '/' ) && 0 !== strpos( $url, '//' ) ) {
			$url = $this->base_url . $url;
		}
		if ( ! preg_match( '#^https?://#i', $url ) ) {
			throw new Printgate_Api_Exception( 'Refusing to fetch a non-http URL.' );
		}
		$headers  = $this->is_own_url( $url ) ? $this->auth_headers() : array( 'User-Agent' => $this->user_agent );
		$response = $this->send(
			'GET',
			$url,
			$headers,
			null,
			array(
				'timeout' => $timeout,
				'stream_to' => $file,
			)
		);
		return self::file_info( $response );
	}

	/**
	 * Content type and file name of a downloaded file, from its response headers.
	 *
	 * @param array $response Transport response.
	 * @return array{content_type:string, file_name:string}
	 */
	private static function file_info( array $response ) {
		return array(
			'content_type' => self::response_header( $response, 'content-type', 'application/octet-stream' ),
			'file_name'    => self::disposition_file_name( self::response_header( $response, 'content-disposition', '' ) ),
		);
	}

	/**
	 * Whether a URL has the same scheme, host and port as the configured base URL.
	 *
	 * @param string $url URL.
	 * @return bool
	 */
	public function is_own_url( $url ) {
		// phpcs:disable WordPress.WP.AlternativeFunctions.parse_url_parse_url -- this class runs without WordPress (php-cli tests); PHP 7.4+ parses full URLs consistently.
		$a = parse_url( $this->base_url );
		$b = parse_url( (string) $url );
		// phpcs:enable
		if ( ! is_array( $a ) || ! is_array( $b ) || empty( $a['host'] ) || empty( $b['host'] ) ) {
			return false;
		}
		$port = function ( $p ) {
			$scheme = isset( $p['scheme'] ) ? strtolower( $p['scheme'] ) : 'http';
			return isset( $p['port'] ) ? (int) $p['port'] : ( 'https' === $scheme ? 443 : 80 );
		};
		return strtolower( $a['scheme'] ) === strtolower( $b['scheme'] )
			&& strtolower( $a['host'] ) === strtolower( $b['host'] )
			&& $port( $a ) === $port( $b );
	}

	/**
	 * JSON the way printgate expects it: unescaped slashes and unicode, floats kept short.
	 *
	 * @param mixed $value Value.
	 * @return string
	 * @throws Printgate_Api_Exception When the value cannot be encoded.
	 */
	public static function encode_json( $value ) {
		// phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode -- this class runs without WordPress (php-cli tests); the flags are the wire format.
		$json = json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE );
		if ( false === $json ) {
			throw new Printgate_Api_Exception( 'Could not encode the request body as JSON.' );
		}
		return $json;
	}

	/**
	 * The headers every call carries: the secret key, JSON, the User-Agent.
	 *
	 * @return array<string,string>
	 * @throws Printgate_Api_Exception When printgate cannot be asked or answers with an error.
	 */
	private function auth_headers() {
		if ( '' === $this->secret_key ) {
			throw new Printgate_Api_Exception( 'No secret key configured.', 401 );
		}
		return array(
			'Authorization' => 'Bearer ' . $this->secret_key,
			'Accept'        => 'application/json',
			'User-Agent'    => $this->user_agent,
		);
	}

	/**
	 * GET a path of printgate's API and decode its JSON answer.
	 *
	 * @param string $path Path with query.
	 * @return array
	 */
	private function get_json( $path ) {
		return self::decode( $this->send( 'GET', $this->base_url . $path, $this->auth_headers() ), false );
	}

	/**
	 * Send a request through the transport; a network failure becomes a Printgate_Api_Exception.
	 *
	 * @param string      $method  Method.
	 * @param string      $url     URL.
	 * @param array       $headers Headers.
	 * @param string|null $body    Body.
	 * @param array       $options        Transport options.
	 * @param bool        $allow_redirect Return a 3xx answer instead of failing.
	 * @return array
	 * @throws Printgate_Api_Exception When printgate cannot be asked or answers with an error.
	 */
	private function send( $method, $url, array $headers, $body = null, array $options = array(), $allow_redirect = false ) {
		if ( '' === $this->base_url ) {
			throw new Printgate_Api_Exception( 'No printgate URL configured.' );
		}
		if ( ! isset( $options['timeout'] ) ) {
			$options['timeout'] = self::DEFAULT_TIMEOUT;
		}
		try {
			$response = $this->transport->request( $method, $url, $headers, $body, $options );
		} catch ( Printgate_Transport_Exception $e ) {
			throw new Printgate_Api_Exception( 'printgate is unreachable: ' . $e->getMessage(), 0 ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped -- plain text; escaped where it is shown.
		}
		$status             = isset( $response['status'] ) ? (int) $response['status'] : 0;
		$response['status'] = $status;
		if ( $allow_redirect && in_array( $status, array( 301, 302, 303, 307, 308 ), true ) ) {
			return $response;
		}
		if ( $status < 200 || $status > 299 ) {
			$detail = '';
			if ( empty( $options['stream_to'] ) && isset( $response['body'] ) ) {
				$decoded = json_decode( (string) $response['body'], true );
				if ( is_array( $decoded ) ) {
					foreach ( array( 'message', 'error', 'detail' ) as $key ) {
						if ( isset( $decoded[ $key ] ) && is_string( $decoded[ $key ] ) ) {
							$detail = ': ' . $decoded[ $key ];
							break;
						}
					}
				}
			}
			throw new Printgate_Api_Exception( sprintf( 'printgate answered HTTP %d%s', $status, $detail ), $status ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped -- plain text; escaped where it is shown.
		}
		return $response;
	}

	/**
	 * Decode a JSON answer, or raise for a non-2xx status or a body that is not JSON.
	 *
	 * @param array $response   Transport response.
	 * @param bool  $allow_empty Whether an empty body is fine.
	 * @return array
	 * @throws Printgate_Api_Exception When printgate cannot be asked or answers with an error.
	 */
	private static function decode( array $response, $allow_empty ) {
		$body = isset( $response['body'] ) ? trim( (string) $response['body'] ) : '';
		if ( '' === $body && $allow_empty ) {
			return array();
		}
		$data = json_decode( $body, true );
		if ( ! is_array( $data ) ) {
			throw new Printgate_Api_Exception( 'printgate answered with something that is not JSON.', isset( $response['status'] ) ? (int) $response['status'] : 0 );
		}
		return $data;
	}

	/**
	 * One response header (names are lower-case), or the fallback.
	 *
	 * @param array  $response Transport response.
	 * @param string $name     Lower-case header name.
	 * @param string $fallback Default.
	 * @return string
	 */
	private static function response_header( array $response, $name, $fallback ) {
		if ( isset( $response['headers'] ) && is_array( $response['headers'] ) ) {
			foreach ( $response['headers'] as $key => $value ) {
				if ( strtolower( (string) $key ) === $name ) {
					return is_array( $value ) ? (string) reset( $value ) : (string) $value;
				}
			}
		}
		return $fallback;
	}

	/**
	 * The file name from a Content-Disposition header ('' when none).
	 *
	 * @param string $header Header value.
	 * @return string
	 */
	public static function disposition_file_name( $header ) {
		if ( preg_match( "/filename\\*\\s*=\\s*(?:UTF-8|utf-8)''([^;]+)/", $header, $m ) ) {
			return basename( rawurldecode( trim( $m[1], " \t\"" ) ) );
		}
		if ( preg_match( '/filename\s*=\s*"?([^";]+)"?/', $header, $m ) ) {
			return basename( trim( $m[1] ) );
		}
		return '';
	}

	/**
	 * Refuse an id that could change the URL it is put into.
	 *
	 * @param mixed $id Id.
	 * @throws Printgate_Api_Exception When printgate cannot be asked or answers with an error.
	 */
	private function assert_id( $id ) {
		if ( ! self::is_valid_id( $id ) ) {
			throw new Printgate_Api_Exception( 'Invalid printgate id.', 400 );
		}
	}
}
