<?php
// A reply script as written for Apache or an SMS gateway: no "#!" line, not executable.
// smsreply runs it with php-cgi (the setting cgi.interpreters), as Apache's PHP handler does.
header("Content-Type: text/plain; charset=utf-8");  // only text/plain is sent as an SMS
$words = preg_split('/\s+/', trim($_POST["message"] ?? ""));
switch (strtoupper($words[0])) {
    case "OUI":
        echo "Merci, votre rendez-vous est confirmé.";
        break;
    case "NON":
        echo "Votre rendez-vous est annulé.";
        break;
    default:
        echo "Répondez OUI ou NON, s'il vous plaît.";
}
