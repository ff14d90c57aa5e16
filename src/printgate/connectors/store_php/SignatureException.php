<?php

class PrintgateSignatureException extends Exception
{
}
