<?php
/**
 * A Printgate_Transport that records every request and answers from a queue of canned responses.
 * A response {"fail": "message"} simulates a network failure.
 */
class Recording_Transport implements Printgate_Transport {
	public $requests = array();
	private $responses;

	public function __construct( array $responses = array() ) {
		$this->responses = $responses;
	}

	public function request( $method, $url, array $headers, $body = null, array $options = array() ) {
		$this->requests[] = array(
			'method'  => $method,
			'url'     => $url,
			'headers' => $headers,
			'body'    => $body,
			'options' => $options,
		);
		$response = $this->responses ? array_shift( $this->responses ) : array( 'status' => 200, 'body' => '{}' );
		if ( isset( $response['fail'] ) ) {
			throw new Printgate_Transport_Exception( $response['fail'] );
		}
		if ( ! empty( $options['stream_to'] ) && isset( $response['file'] ) ) {
			file_put_contents( $options['stream_to'], $response['file'] );
		}
		return array(
			'status'  => isset( $response['status'] ) ? $response['status'] : 200,
			'headers' => isset( $response['headers'] ) ? $response['headers'] : array(),
			'body'    => isset( $response['body'] ) ? $response['body'] : '',
		);
	}
}
