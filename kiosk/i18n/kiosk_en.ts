<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="fr">
<context>
    <name>GoodbyeView</name>
    <message>
        <location filename="../views/welcome.py" line="107"/>
        <source>Au revoir %1 !</source>
        <translation>Goodbye %1!</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="108"/>
        <source>Votre départ est enregistré. À bientôt !</source>
        <translation>Your departure is recorded. See you soon!</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="115"/>
        <source>Vous êtes resté·e %1 h %2 min</source>
        <translation>You stayed %1 h %2 min</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="120"/>
        <source>Vous êtes resté·e moins de deux minutes</source>
        <translation>You stayed less than two minutes</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="122"/>
        <source>Vous êtes resté·e %1 minutes</source>
        <translation>You stayed %1 minutes</translation>
    </message>
</context>
<context>
    <name>IdleView</name>
    <message>
        <location filename="../views/idle.py" line="94"/>
        <source>Badgez ici</source>
        <translation>Tap your badge here</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="95"/>
        <source>Posez votre badge sur le lecteur pour entrer ou sortir</source>
        <translation>Hold your badge to the reader to check in or out</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="96"/>
        <source>Je n&apos;ai pas de badge</source>
        <translation>I don&apos;t have a badge</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="105"/>
        <source>Fermé aujourd&apos;hui</source>
        <translation>Closed today</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="108"/>
        <source>Aujourd&apos;hui : %1</source>
        <translation>Today: %1</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="121"/>
        <source>Personne sur place pour l&apos;instant</source>
        <translation>Nobody here yet</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="123"/>
        <source>1 personne sur place</source>
        <translation>1 person here</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="125"/>
        <source>%1 personnes sur place</source>
        <translation>%1 people here</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="137"/>
        <source>Au programme aujourd&apos;hui</source>
        <translation>Today&apos;s programme</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="141"/>
        <source>Toute la journée</source>
        <translation>All day</translation>
    </message>
    <message>
        <location filename="../views/idle.py" line="160"/>
        <source>%1 · complet</source>
        <translation>%1 · full</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <location filename="../window.py" line="174"/>
        <source>English</source>
        <translation>Français</translation>
    </message>
    <message>
        <location filename="../window.py" line="175"/>
        <source>Un instant…</source>
        <translation>One moment…</translation>
    </message>
    <message>
        <location filename="../window.py" line="189"/>
        <source>Base de données indisponible : les passages ne sont pas enregistrés. Nouvel essai automatique…</source>
        <translation>Database unavailable: visits are not being recorded. Retrying automatically…</translation>
    </message>
    <message>
        <location filename="../window.py" line="193"/>
        <source>Lecteur de badges indisponible : nouvel essai automatique… Adressez-vous à l&apos;accueil.</source>
        <translation>Badge reader unavailable: retrying automatically… Please ask at the front desk.</translation>
    </message>
    <message>
        <location filename="../window.py" line="196"/>
        <source>Réseau des portes et machines indisponible.</source>
        <translation>Door and machine network unavailable.</translation>
    </message>
</context>
<context>
    <name>PinPadView</name>
    <message>
        <location filename="../views/pin_pad.py" line="113"/>
        <source>%1, votre code PIN pour quitter la borne</source>
        <translation>%1, your PIN to quit the kiosk</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="115"/>
        <source>%1, votre code PIN pour le mode équipe</source>
        <translation>%1, your PIN for staff mode</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="117"/>
        <source>Effacer</source>
        <translation>Erase</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="118"/>
        <source>Valider</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="119"/>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="119"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="127"/>
        <source>Code non vérifié : base de données indisponible. Réessayez.</source>
        <translation>PIN not checked: the database is unavailable. Try again.</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="131"/>
        <source>Code incorrect. Dernier essai avant le blocage.</source>
        <translation>Wrong PIN. Last try before the lock-out.</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="132"/>
        <source>Code incorrect. Encore %1 essais avant le blocage.</source>
        <translation>Wrong PIN. %1 more tries before the lock-out.</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="138"/>
        <source>Trop de codes incorrects : le mode équipe est bloqué jusqu&apos;à %1.</source>
        <translation>Too many wrong PINs: staff mode is locked until %1.</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="142"/>
        <source>Aucun code PIN n&apos;est défini pour vous : il se définit avec « station member pin » au registre. Le badge seul n&apos;ouvre pas le mode équipe.</source>
        <translation>No PIN is set for you: it is set with `station member pin` at the registry. A badge alone does not open staff mode.</translation>
    </message>
    <message>
        <location filename="../views/pin_pad.py" line="147"/>
        <source>Ce badge n&apos;ouvre pas le mode équipe.</source>
        <translation>This badge does not open staff mode.</translation>
    </message>
</context>
<context>
    <name>ProblemView</name>
    <message>
        <location filename="../views/problem.py" line="54"/>
        <source>Entrer comme visiteur</source>
        <translation>Come in as a visitor</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="55"/>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="58"/>
        <source>Un membre de l&apos;équipe d&apos;accueil peut vous aider : il se trouve au comptoir, à droite de l&apos;entrée.</source>
        <translation>A member of the welcome team can help you: you will find them at the desk, to the right of the entrance.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="67"/>
        <source>Bonjour %1,</source>
        <translation>Hello %1,</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="68"/>
        <source>votre adhésion a expiré</source>
        <translation>your membership has expired</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="74"/>
        <source>Elle a pris fin le %1.</source>
        <translation>It ended on %1.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="78"/>
        <source>Vous pouvez la renouveler à l&apos;accueil, c&apos;est gratuit et rapide.</source>
        <translation>You can renew it at the front desk: it is free and quick.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="81"/>
        <source>Ce badge n&apos;est pas enregistré</source>
        <translation>This badge is not registered</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="84"/>
        <source>Il n&apos;est relié à aucun compte. L&apos;accueil peut l&apos;associer à votre nom en une minute.</source>
        <translation>It is not linked to anyone. The front desk can link it to your name in a minute.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="89"/>
        <source>Ce badge a été désactivé</source>
        <translation>This badge has been deactivated</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="91"/>
        <source>Il a été déclaré perdu ou rendu. Demandez un nouveau badge à l&apos;accueil.</source>
        <translation>It was reported lost or returned. Ask for a new badge at the front desk.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="94"/>
        <source>Ce badge ne suffit pas ici</source>
        <translation>This badge is not enough here</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="97"/>
        <source>Il faut un badge sécurisé : présentez le vôtre, ou demandez-en un à l&apos;accueil.</source>
        <translation>A secure badge is needed: show yours, or ask the front desk for one.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="101"/>
        <source>Ce badge n&apos;a pas pu être vérifié</source>
        <translation>This badge could not be verified</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="104"/>
        <source>Il n&apos;a pas prouvé qu&apos;il est un badge de ce lieu. Demandez à l&apos;accueil de le contrôler.</source>
        <translation>It did not prove that it is one of this place&apos;s badges. Ask the front desk to check it.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="109"/>
        <source>Badge mal lu</source>
        <translation>Badge not read</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="111"/>
        <source>Il a quitté le lecteur trop tôt. Reposez-le et gardez-le immobile.</source>
        <translation>It left the reader too soon. Put it back and hold it still.</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="114"/>
        <source>Le système d&apos;accueil est momentanément indisponible</source>
        <translation>The check-in system is briefly unavailable</translation>
    </message>
    <message>
        <location filename="../views/problem.py" line="116"/>
        <source>Votre passage n&apos;a pas pu être enregistré. Réessayez dans un instant.</source>
        <translation>Your visit could not be recorded. Please try again in a moment.</translation>
    </message>
</context>
<context>
    <name>StaffView</name>
    <message>
        <location filename="../views/staff.py" line="154"/>
        <source>Mode équipe — %1</source>
        <translation>Staff mode — %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="156"/>
        <source>Actualiser</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="157"/>
        <source>Quitter le kiosque</source>
        <translation>Quit the kiosk</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="158"/>
        <source>Fermer</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="161"/>
        <source>Présents</source>
        <translation>Who is in</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="162"/>
        <source>Portes et machines</source>
        <translation>Doors and machines</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="163"/>
        <source>Badges</source>
        <translation>Badges</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="164"/>
        <source>Aujourd&apos;hui</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="168"/>
        <source>Nom, prénom ou e-mail</source>
        <translation>Name or email</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="169"/>
        <source>Chercher</source>
        <translation>Search</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="170"/>
        <source>Désactiver un badge…</source>
        <translation>Deactivate a badge…</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="171"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="173"/>
        <location filename="../views/staff.py" line="179"/>
        <source>Nom</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="173"/>
        <source>Motif</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="173"/>
        <source>Depuis</source>
        <translation>Since</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="176"/>
        <source>Équipement</source>
        <translation>Equipment</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="176"/>
        <source>État</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="176"/>
        <source>Détails</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="176"/>
        <source>Actions</source>
        <translation>Actions</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="179"/>
        <source>Type</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="179"/>
        <source>Badges actifs</source>
        <translation>Active badges</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="191"/>
        <source>Posez sur le lecteur le badge à associer à %1</source>
        <translation>Hold the badge to give to %1 to the reader</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="196"/>
        <source>Posez sur le lecteur le badge à désactiver</source>
        <translation>Hold the badge to deactivate to the reader</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="206"/>
        <source>Refus du registre à traiter : %1. Voyez la page Refus de la console.</source>
        <translation>Refusals by the registry to deal with: %1. See the Refusals page of the console.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="212"/>
        <source>Départ enregistré.</source>
        <translation>Check-out recorded.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="213"/>
        <source>Badge associé à %1.</source>
        <translation>Badge given to %1.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="214"/>
        <source>Badge de %1 désactivé.</source>
        <translation>%1&apos;s badge deactivated.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="215"/>
        <source>Ce badge n&apos;est associé à personne.</source>
        <translation>This badge belongs to nobody.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="216"/>
        <source>Refusé : %1</source>
        <translation>Refused: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="217"/>
        <source>Base de données indisponible : réessayez.</source>
        <translation>Database unavailable: try again.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="218"/>
        <source>Réseau des équipements indisponible : commande non envoyée.</source>
        <translation>Equipment network unavailable: command not sent.</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="219"/>
        <source>Commande envoyée : %1</source>
        <translation>Command sent: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="220"/>
        <source>Commande exécutée : %1</source>
        <translation>Command done: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="221"/>
        <source>Commande refusée : %1</source>
        <translation>Command refused: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="232"/>
        <source>Faire sortir</source>
        <translation>Check out</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="241"/>
        <source>Ouvrir</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="242"/>
        <source>Confinement</source>
        <translation>Lockdown</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="243"/>
        <source>Lever</source>
        <translation>Release</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="244"/>
        <source>Fin de session</source>
        <translation>End session</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="245"/>
        <source>Bloquer</source>
        <translation>Block</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="246"/>
        <source>Débloquer</source>
        <translation>Unblock</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="251"/>
        <source>En ligne</source>
        <translation>Online</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="251"/>
        <source>Hors ligne</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="283"/>
        <source>mode</source>
        <translation>mode</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="284"/>
        <source>porte</source>
        <translation>door</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="285"/>
        <source>relais</source>
        <translation>relay</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="286"/>
        <source>en marche</source>
        <translation>busy</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="287"/>
        <source>lecteur</source>
        <translation>reader</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="289"/>
        <source>alarmes</source>
        <translation>alarms</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="318"/>
        <source>droits v%1 (%2)</source>
        <translation>grants v%1 (%2)</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="328"/>
        <source>à jour</source>
        <translation>in step</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="329"/>
        <source>en retard</source>
        <translation>behind</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="330"/>
        <source>DIVERGENTS</source>
        <translation>DIVERGED</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="331"/>
        <source>état inconnu</source>
        <translation>state unknown</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="288"/>
        <source>en attente</source>
        <translation>outbox</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="261"/>
        <source>Motif ?</source>
        <translation>Why?</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="292"/>
        <source>ouverte</source>
        <translation>open</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="293"/>
        <source>fermée</source>
        <translation>closed</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="294"/>
        <source>inconnu</source>
        <translation>unknown</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="295"/>
        <source>normal</source>
        <translation>normal</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="296"/>
        <source>confinement</source>
        <translation>lockdown</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="297"/>
        <source>maintenue ouverte</source>
        <translation>held open</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="298"/>
        <source>libre</source>
        <translation>free</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="299"/>
        <source>en service</source>
        <translation>in use</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="300"/>
        <source>bloquée</source>
        <translation>blocked</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="301"/>
        <source>à vérifier</source>
        <translation>to check</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="309"/>
        <source>oui</source>
        <translation>yes</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="309"/>
        <source>non</source>
        <translation>no</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="314"/>
        <location filename="../views/staff.py" line="389"/>
        <location filename="../views/staff.py" line="401"/>
        <source>%1 : %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="316"/>
        <source>ALARME : file d&apos;attente pleine</source>
        <translation>ALARM: outbox full</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="337"/>
        <source>appliquée</source>
        <translation>applied</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="339"/>
        <source>refusée (%1)</source>
        <translation>refused (%1)</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="343"/>
        <source>dernière commande : %1 d&apos;auteur inconnu, %2</source>
        <translation>last command: %1 by an unknown author, %2</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="345"/>
        <source>dernière commande : %1 par %2 (%3), %4</source>
        <translation>last command: %1 by %2 (%3), %4</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="352"/>
        <source>Membre</source>
        <translation>Member</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="353"/>
        <source>Visiteur</source>
        <translation>Visitor</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="354"/>
        <source>Équipe</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="362"/>
        <source>Associer un badge</source>
        <translation>Give a badge</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="370"/>
        <source>%1 dont %2 sécurisé(s)</source>
        <translation>%1, %2 secure</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="373"/>
        <source>sécurisé seul</source>
        <translation>secure only</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="383"/>
        <source>Entrées aujourd&apos;hui : %1</source>
        <translation>Entries today: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="384"/>
        <source>Sur place maintenant : %1</source>
        <translation>Here now: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="385"/>
        <source>Dont visiteurs sans badge : %1</source>
        <translation>Of which visitors without a badge: %1</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="387"/>
        <source>Par motif :</source>
        <translation>By purpose:</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="402"/>
        <source>Espaces (présents / capacité) :</source>
        <translation>Spaces (in now / capacity):</translation>
    </message>
    <message>
        <location filename="../views/staff.py" line="406"/>
        <source>%1 · complet</source>
        <translation>%1 · full</translation>
    </message>
</context>
<context>
    <name>VisitorBadgeView</name>
    <message>
        <location filename="../views/visitor.py" line="244"/>
        <source>Bienvenue %1 !</source>
        <translation>Welcome %1!</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="245"/>
        <source>Terminer</source>
        <translation>Finish</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="247"/>
        <source>Votre badge est enregistré</source>
        <translation>Your badge is registered</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="250"/>
        <source>La prochaine fois, posez-le simplement sur le lecteur en arrivant et en partant.</source>
        <translation>Next time, just hold it to the reader when you arrive and leave.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="255"/>
        <source>Ce badge appartient déjà à quelqu&apos;un</source>
        <translation>This badge already belongs to someone</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="257"/>
        <source>Demandez un autre badge à l&apos;accueil, puis posez-le sur le lecteur.</source>
        <translation>Ask the front desk for another badge, then hold it to the reader.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="260"/>
        <source>Votre arrivée est enregistrée</source>
        <translation>You are checked in</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="263"/>
        <source>On vous a remis un badge ? Posez-le sur le lecteur pour l&apos;associer à votre nom. Sinon, touchez « Terminer ».</source>
        <translation>Were you given a badge? Hold it to the reader to link it to your name. Otherwise, touch “Finish”.</translation>
    </message>
</context>
<context>
    <name>VisitorView</name>
    <message>
        <location filename="../views/visitor.py" line="156"/>
        <source>Cochez la case d&apos;accord pour continuer : sans elle, rien n&apos;est enregistré.</source>
        <translation>Tick the consent box to go on: without it, nothing is recorded.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="158"/>
        <source>Indiquez votre prénom.</source>
        <translation>Please enter your first name.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="160"/>
        <source>Cette adresse e-mail ne semble pas valide (ou laissez-la vide).</source>
        <translation>This email address does not look valid (or leave it empty).</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="162"/>
        <source>Choisissez votre commune dans la liste.</source>
        <translation>Choose your town from the list.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="163"/>
        <source>Choisissez ce qui vous amène.</source>
        <translation>Choose what brings you here.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="165"/>
        <source>Indiquez votre année de naissance en quatre chiffres (par exemple 1987), ou laissez la case vide.</source>
        <translation>Enter your year of birth in four digits (for example 1987), or leave it empty.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="169"/>
        <source>Enregistrement impossible pour le moment : réessayez ou adressez-vous à l&apos;accueil.</source>
        <translation>Cannot record right now: try again or ask at the front desk.</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="175"/>
        <source>Bienvenue ! Présentez-vous en quelques secondes</source>
        <translation>Welcome! Introduce yourself in a few seconds</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="176"/>
        <source>Prénom</source>
        <translation>First name</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="177"/>
        <source>E-mail (facultatif)</source>
        <translation>Email (optional)</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="178"/>
        <source>Votre commune</source>
        <translation>Your town</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="179"/>
        <source>Année de naissance (facultatif)</source>
        <translation>Year of birth (optional)</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="180"/>
        <source>Ce qui vous amène</source>
        <translation>What brings you here</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="183"/>
        <source>— Choisissez —</source>
        <translation>— Choose —</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="186"/>
        <source>Autre commune (hors du territoire)</source>
        <translation>Another town (outside the area)</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="190"/>
        <source>Vos données personnelles</source>
        <translation>Your personal data</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="193"/>
        <source>Nous enregistrons votre prénom, votre commune, votre e-mail si vous le donnez, et vos dates de passage. Pourquoi : compter la fréquentation de ce lieu public et vous reconnaître à la prochaine visite. Qui les voit : l&apos;équipe de la Station seulement ; rien n&apos;est vendu ni utilisé pour de la publicité. Durée : vos passages sont effacés après %1 jours, votre fiche après %2 jours sans visite. Vous pouvez à tout moment consulter, corriger ou faire effacer vos données à l&apos;accueil (RGPD).</source>
        <translation>We record your first name, your town, your email if you give it, and the dates of your visits. Why: to count the attendance of this public place and to recognise you next time. Who sees it: the Station team only; nothing is sold or used for advertising. How long: your visits are erased after %1 days, your record after %2 days without a visit. You may see, correct or have your data erased at the front desk at any time (GDPR).</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="205"/>
        <source>J&apos;accepte cet enregistrement</source>
        <translation>I agree to this record being kept</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="206"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="207"/>
        <source>Valider mon arrivée</source>
        <translation>Check me in</translation>
    </message>
    <message>
        <location filename="../views/visitor.py" line="212"/>
        <source>Votre année de naissance, si vous la donnez, sert seulement à compter les publics par tranche d&apos;âge.</source>
        <translation>Your year of birth, if you give it, is only used to count visitors by age band.</translation>
    </message>
</context>
<context>
    <name>WelcomeView</name>
    <message>
        <location filename="../views/welcome.py" line="46"/>
        <source>Bonjour %1 !</source>
        <translation>Hello %1!</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="51"/>
        <source>Votre formule : %1</source>
        <translation>Your plan: %1</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="62"/>
        <source>C&apos;est noté : %1. Bonne journée !</source>
        <translation>Noted: %1. Have a good day!</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="68"/>
        <source>Qu&apos;est-ce qui vous amène aujourd&apos;hui ?</source>
        <translation>What brings you here today?</translation>
    </message>
    <message>
        <location filename="../views/welcome.py" line="70"/>
        <source>Votre arrivée est enregistrée. Touchez un choix pour le modifier.</source>
        <translation>You are checked in. Touch a choice to change it.</translation>
    </message>
</context>
</TS>
