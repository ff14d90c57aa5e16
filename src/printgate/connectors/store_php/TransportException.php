<?php

class PrintgateTransportException extends Exception
{
}
